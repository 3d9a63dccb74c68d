/**
 * Picks a group's ports as a Nomad client would: dynamic ports at random
 * from Nomad's default range, static ports as written. A port is only handed
 * out after a listener could actually bind it on this machine, so a port
 * some other program holds is never picked (for a static port it is an
 * error, as Nomad would refuse to place the alloc on such a node).
 *
 * @module
 */
import { createServer } from 'node:net'
import { randomInt } from 'node:crypto'

import { portUnavailableError } from './errors.js'
import type { PortSpec } from './job-spec.js'

/** Nomad's default dynamic port range (client `min_dynamic_port`/`max_dynamic_port`). */
export const MIN_DYNAMIC_PORT = 20000
export const MAX_DYNAMIC_PORT = 32000
const MAX_ATTEMPTS = 200

/** A port as the TaskConfig carries it (Nomad's PortMapping). */
export interface AllocatedPort {
  label: string
  /** The host port. */
  value: number
  /** `to`, 0 when unset. */
  to: number
  hostIp: string
}

/**
 * Allocates the group's ports on `hostIp`. `taken` holds ports already given
 * to other allocs of this run; the new ones are added to it.
 *
 * @throws RunnerError `ERR_RUNNER_PORT_UNAVAILABLE` when a static port is in
 *   use or no dynamic port could be found.
 */
export async function allocatePorts(
  ports: PortSpec[],
  hostIp: string,
  taken: Set<number>,
): Promise<AllocatedPort[]> {
  const out: AllocatedPort[] = []
  for (const port of ports.filter((p) => p.staticPort !== null)) {
    const value = port.staticPort as number
    if (taken.has(value) || !(await isPortFree(value)))
      throw portUnavailableError(port.label, value)
    taken.add(value)
    out.push({ label: port.label, value, to: port.to, hostIp })
  }
  for (const port of ports.filter((p) => p.staticPort === null)) {
    const value = await pickDynamicPort(taken, port.label)
    taken.add(value)
    out.push({ label: port.label, value, to: port.to, hostIp })
  }
  return ports.map((p) => out.find((o) => o.label === p.label) as AllocatedPort)
}

async function pickDynamicPort(taken: Set<number>, label: string): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const candidate = randomInt(MIN_DYNAMIC_PORT, MAX_DYNAMIC_PORT + 1)
    if (!taken.has(candidate) && (await isPortFree(candidate))) return candidate
  }
  throw portUnavailableError(label, 0)
}

/**
 * True when a listener can bind `port` on every interface; the site host's
 * bindings listen there by default, so that is the test that matters.
 */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      server.close(() => resolve(true))
    })
  })
}
