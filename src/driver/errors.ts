/**
 * The driver core's error catalogue. Codes are API: the plugin maps them to
 * gRPC status codes and the Management API to HTTP problems, so a code is
 * never renamed or reused.
 *
 * @module
 */

export type DriverErrorCode =
  | 'ERR_DRIVER_INVALID_CONFIG'
  | 'ERR_DRIVER_UNKNOWN_KEY'
  | 'ERR_DRIVER_MISSING_ATTRIBUTE'
  | 'ERR_DRIVER_INVALID_VALUE'
  | 'ERR_DRIVER_INVALID_DURATION'
  | 'ERR_DRIVER_BLOCK_COUNT'
  | 'ERR_DRIVER_POOL_NAME_TOO_LONG'
  | 'ERR_DRIVER_DUPLICATE_POOL'
  | 'ERR_DRIVER_UNDEFINED_POOL'
  | 'ERR_DRIVER_DUPLICATE_ALIAS'
  | 'ERR_DRIVER_PORT_LABEL_NOT_FOUND'
  | 'ERR_DRIVER_HTTPS_UNSUPPORTED'
  | 'ERR_DRIVER_NAME_TOO_LONG'
  | 'ERR_DRIVER_UNSUPPORTED_OPTION'
  | 'ERR_DRIVER_IDENTITY_NOT_ALLOWED'
  | 'ERR_DRIVER_DISABLED'
  | 'ERR_DRIVER_TASK_NOT_FOUND'
  | 'ERR_DRIVER_TASK_EXISTS'
  | 'ERR_DRIVER_TASK_RUNNING'
  | 'ERR_DRIVER_INVALID_HANDLE'
  | 'ERR_DRIVER_SITE_HOST_GONE'
  | 'ERR_DRIVER_UNSUPPORTED_SIGNAL'
  | 'ERR_DRIVER_START_FAILED'
  | 'ERR_DRIVER_APP_PATH'
  | 'ERR_DRIVER_CLOSED'

/** Codes that mean the caller's input is wrong (gRPC INVALID_ARGUMENT, HTTP 400). */
export const INVALID_INPUT_CODES: ReadonlySet<DriverErrorCode> = new Set<DriverErrorCode>([
  'ERR_DRIVER_INVALID_CONFIG',
  'ERR_DRIVER_UNKNOWN_KEY',
  'ERR_DRIVER_MISSING_ATTRIBUTE',
  'ERR_DRIVER_INVALID_VALUE',
  'ERR_DRIVER_INVALID_DURATION',
  'ERR_DRIVER_BLOCK_COUNT',
  'ERR_DRIVER_POOL_NAME_TOO_LONG',
  'ERR_DRIVER_DUPLICATE_POOL',
  'ERR_DRIVER_UNDEFINED_POOL',
  'ERR_DRIVER_DUPLICATE_ALIAS',
  'ERR_DRIVER_PORT_LABEL_NOT_FOUND',
  'ERR_DRIVER_HTTPS_UNSUPPORTED',
  'ERR_DRIVER_NAME_TOO_LONG',
  'ERR_DRIVER_UNSUPPORTED_OPTION',
  'ERR_DRIVER_IDENTITY_NOT_ALLOWED',
  'ERR_DRIVER_UNSUPPORTED_SIGNAL',
  'ERR_DRIVER_INVALID_HANDLE',
])

/** Every error the driver core throws on purpose. `code` narrows in a switch. */
export class DriverError extends Error {
  readonly code: DriverErrorCode

  constructor(code: DriverErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DriverError'
    this.code = code
  }
}

/** True when `err` is a DriverError, optionally with the given code. */
export function isDriverError(err: unknown, code?: DriverErrorCode): err is DriverError {
  return err instanceof DriverError && (code === undefined || err.code === code)
}
