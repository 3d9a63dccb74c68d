/**
 * The plugin's stderr as go-plugin reads it (reference 1.7): hclog JSON
 * lines are logged at their level with their fields, anything else at
 * debug. `forwardStderr(child, log)`, `parseLogLine(line)`,
 * `isGoLogTimestamp(value)`.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A pino-compatible logger. */
export interface PluginLogger {
  trace(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error'])

/** The end of the plugin's stderr, for errors about a plugin that died early. */
export interface StderrTail {
  lastLines(): string[]
  /** Resolves once stderr is fully read. */
  closed: Promise<void>
}

/** Logs every stderr line of the plugin process. */
export function forwardStderr(child: ChildProcess, log: PluginLogger): StderrTail {
  const recent: string[] = []
  const lines = createInterface({ input: child.stderr! })
  lines.on('line', (line) => {
    recent.push(line)
    if (recent.length > 5) recent.shift()
    const entry = parseLogLine(line)
    if (entry === null) {
      log.debug({ plugin: child.pid }, line)
      return
    }
    const { '@level': level, '@message': message, ...fields } = entry
    delete fields['@timestamp']
    const method = LEVELS.has(level) ? (level as keyof PluginLogger) : 'debug'
    log[method]({ plugin: child.pid, ...fields }, message)
  })
  // `close` comes after the last line; callers reporting an exit wait for it
  const closed = new Promise<void>((resolve) => lines.once('close', resolve))
  return { lastLines: () => [...recent], closed }
}

/** An hclog JSON line as go-plugin accepts it, or null when it would be raw text. */
export function parseLogLine(line: string): (Record<string, unknown> & HclogEntry) | null {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const entry = value as Record<string, unknown>
  if (typeof entry['@message'] !== 'string' || typeof entry['@level'] !== 'string') return null
  const timestamp = entry['@timestamp']
  if (timestamp !== undefined && !isGoLogTimestamp(timestamp)) return null
  if (!LEVELS.has(entry['@level'].trim().toLowerCase())) return null
  return entry as Record<string, unknown> & HclogEntry
}

interface HclogEntry {
  '@level': string
  '@message': string
  '@timestamp'?: string
}

/** Go layout 2006-01-02T15:04:05.000000Z07:00: exactly six fraction digits. */
export function isGoLogTimestamp(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/.test(value)
  )
}
