/**
 * The logger the driver core is given: pino's call shape, so a pino logger
 * (or a child of one) can be passed as is.
 *
 * @module
 */

type LogFn = (fields: Record<string, unknown>, message: string) => void

export interface DriverLogger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  child(bindings: Record<string, unknown>): DriverLogger
}

/** A logger that drops everything, for callers that pass none. */
export const SILENT_LOGGER: DriverLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => SILENT_LOGGER,
}
