/**
 * Error catalogue of the hosted-program layer: reading web.config files,
 * starting programs and proxying to them. Codes are API: never rename or
 * reuse one.
 *
 * @module
 */

export type HostedErrorCode =
  /** The web.config could not be parsed as XML. */
  | 'ERR_HOSTED_WEB_CONFIG_NOT_XML'
  /** A program section lacks processPath, or a handler lacks its script. */
  | 'ERR_HOSTED_WEB_CONFIG_INCOMPLETE'
  /** The program a web.config names does not exist or cannot be executed. */
  | 'ERR_HOSTED_PROGRAM_MISSING'
  /** A handler or setting this host cannot run on Linux. */
  | 'ERR_HOSTED_HANDLER_UNSUPPORTED'
  /** The program did not accept connections within start_time_limit. */
  | 'ERR_HOSTED_START_TIMEOUT'
  /** The program did not answer a request within the proxy's request timeout. */
  | 'ERR_HOSTED_REQUEST_TIMEOUT'
  /** The program exited while starting. */
  | 'ERR_HOSTED_PROGRAM_EXITED'
  /** The request queue is full (queue_length). */
  | 'ERR_HOSTED_QUEUE_FULL'
  /** New work after close, or work abandoned by a stop. */
  | 'ERR_HOSTED_CLOSED'
  /** Bad options passed to one of this folder's classes. */
  | 'ERR_HOSTED_INVALID_ARGUMENT'

/** Every code, for the catalogue test and the docs. */
export const HOSTED_ERROR_CODES: readonly HostedErrorCode[] = [
  'ERR_HOSTED_WEB_CONFIG_NOT_XML',
  'ERR_HOSTED_WEB_CONFIG_INCOMPLETE',
  'ERR_HOSTED_PROGRAM_MISSING',
  'ERR_HOSTED_HANDLER_UNSUPPORTED',
  'ERR_HOSTED_START_TIMEOUT',
  'ERR_HOSTED_REQUEST_TIMEOUT',
  'ERR_HOSTED_PROGRAM_EXITED',
  'ERR_HOSTED_QUEUE_FULL',
  'ERR_HOSTED_CLOSED',
  'ERR_HOSTED_INVALID_ARGUMENT',
]

/** An error of the hosted-program layer; `code` tells which. */
export class HostedError extends Error {
  readonly code: HostedErrorCode

  constructor(code: HostedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** True when `err` is a HostedError, optionally with the given code. */
export function isHostedError(err: unknown, code?: HostedErrorCode): err is HostedError {
  return err instanceof HostedError && (code === undefined || err.code === code)
}
