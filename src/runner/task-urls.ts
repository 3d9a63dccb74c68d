/**
 * The URLs a task serves, from its decoded `config` bindings and the alloc's
 * ports: one `http://<ip>:<port>/` per http binding. A binding on all
 * interfaces is shown on the port's host IP (loopback for the runner).
 *
 * @module
 */
import type { AllocatedPort } from './port-allocator.js'

/** One binding as the URL list shows it. */
export interface TaskUrl {
  url: string
  port: number
  /** The binding's host name, when it has one (requests must carry it as Host). */
  hostname: string | null
}

const ANY_ADDRESS = new Set(['', '*', '0.0.0.0', '::'])

export function buildTaskUrls(decoded: Record<string, unknown>, ports: AllocatedPort[]): TaskUrl[] {
  const bindings = Array.isArray(decoded.bindings)
    ? (decoded.bindings as Record<string, unknown>[])
    : []
  const urls: TaskUrl[] = []
  for (const binding of bindings) {
    const type = typeof binding.type === 'string' ? binding.type : 'http'
    if (type !== 'http') continue
    const port = resolvePort(binding.port, ports)
    if (port === null) continue
    const address = typeof binding.ip_address === 'string' ? binding.ip_address : ''
    const ip = ANY_ADDRESS.has(address) ? (port.hostIp ?? '127.0.0.1') : address
    const host = ip.includes(':') ? `[${ip}]` : ip
    const hostname =
      typeof binding.hostname === 'string' && binding.hostname !== '' ? binding.hostname : null
    urls.push({ url: `http://${host}:${port.value}/`, port: port.value, hostname })
  }
  return urls
}

function resolvePort(
  value: unknown,
  ports: AllocatedPort[],
): { value: number; hostIp: string } | null {
  const text = String(value ?? '')
  const byLabel = ports.find((p) => p.label === text)
  if (byLabel !== undefined) return { value: byLabel.value, hostIp: byLabel.hostIp }
  return /^\d+$/.test(text) ? { value: Number(text), hostIp: '127.0.0.1' } : null
}
