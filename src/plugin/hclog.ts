/**
 * A pino-compatible logger that writes hclog JSON lines to stderr, the form
 * go-plugin parses and forwards into the Nomad agent's own log (reference
 * section 1.7): `@level` one of trace/debug/info/warn/error, `@message`
 * always a string, `@timestamp` with exactly six fraction digits, other
 * keys as fields. Write errors (EPIPE once nobody reads stderr) are
 * swallowed: the plugin must outlive its reader.
 *
 * @module
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error'

type LogMethod = (objOrMsg?: unknown, msg?: string) => void

/** The logger shape passed through the plugin, driver and management code. */
export interface Logger {
  level: string
  trace: LogMethod
  debug: LogMethod
  info: LogMethod
  warn: LogMethod
  error: LogMethod
  fatal: LogMethod
  silent: LogMethod
  child(bindings: Record<string, unknown>): Logger
}

export interface HclogOptions {
  level?: LogLevel
  /** Where lines go; defaults to process.stderr. */
  write?: (line: string) => void
  now?: () => Date
}

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 }

/** Creates the root logger. */
export function createHclogLogger(options: HclogOptions = {}): Logger {
  const write = options.write ?? writeStderr
  return makeLogger(options.level ?? 'debug', {}, write, options.now ?? (() => new Date()))
}

/** Go layout 2006-01-02T15:04:05.000000Z07:00, in UTC. */
export function formatGoTimestamp(at: Date): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

function makeLogger(
  level: LogLevel,
  bindings: Record<string, unknown>,
  write: (line: string) => void,
  now: () => Date,
): Logger {
  const method =
    (methodLevel: LogLevel): LogMethod =>
    (objOrMsg, msg) => {
      if (RANK[methodLevel] < RANK[level]) return
      const fields = typeof objOrMsg === 'object' && objOrMsg !== null ? serialise(objOrMsg) : {}
      const message = typeof objOrMsg === 'string' ? objOrMsg : (msg ?? '')
      const entry = {
        ...bindings,
        ...fields,
        '@level': methodLevel,
        '@message': String(message),
        '@timestamp': formatGoTimestamp(now()),
      }
      write(`${safeStringify(entry)}\n`)
    }
  return {
    level,
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    // hclog has no fatal level; an unknown level would turn the line into raw text
    fatal: method('error'),
    silent: () => undefined,
    child: (more) => makeLogger(level, { ...bindings, ...more }, write, now),
  }
}

function serialise(obj: object): Record<string, unknown> {
  if (obj instanceof Error) return { err: errorFields(obj) }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(obj)) {
    out[key] = value instanceof Error ? errorFields(value) : value
  }
  return out
}

function errorFields(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code
  return { type: err.name, message: err.message, ...(code === undefined ? {} : { code }) }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
  } catch {
    return JSON.stringify({ '@level': 'error', '@message': 'unserialisable log entry' })
  }
}

function writeStderr(line: string): void {
  try {
    process.stderr.write(line)
  } catch {
    // EPIPE after the agent went away: nothing can be reported
  }
}
