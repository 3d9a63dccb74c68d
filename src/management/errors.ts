/**
 * The Management API's error catalogue. Every error a route can answer with
 * is one of these; `problem.ts` turns them into RFC 9457 problem bodies.
 * Codes are API: never rename or reuse one.
 *
 * @module
 */

export type ManagementErrorCode =
  | 'ERR_MANAGEMENT_UNAUTHORIZED'
  | 'ERR_MANAGEMENT_FORBIDDEN'
  | 'ERR_MANAGEMENT_TASK_NOT_FOUND'
  | 'ERR_MANAGEMENT_FILE_NOT_FOUND'
  | 'ERR_MANAGEMENT_POOL_NOT_FOUND'
  | 'ERR_MANAGEMENT_ROUTE_NOT_FOUND'
  | 'ERR_MANAGEMENT_BAD_PATH'
  | 'ERR_MANAGEMENT_BAD_REQUEST'
  | 'ERR_MANAGEMENT_CONFLICT'
  | 'ERR_MANAGEMENT_PRECONDITION_FAILED'
  | 'ERR_MANAGEMENT_PAYLOAD_TOO_LARGE'
  | 'ERR_MANAGEMENT_RANGE_NOT_SATISFIABLE'
  | 'ERR_MANAGEMENT_BAD_ZIP'
  | 'ERR_MANAGEMENT_NO_WORKER'
  | 'ERR_MANAGEMENT_EULA_NOT_ACCEPTED'
  | 'ERR_MANAGEMENT_DEPENDENCY_MISSING'
  | 'ERR_MANAGEMENT_BUSY'
  | 'ERR_MANAGEMENT_INSUFFICIENT_STORAGE'
  | 'ERR_MANAGEMENT_DRIVER_FAILED'
  | 'ERR_MANAGEMENT_SITE_UNREACHABLE'
  | 'ERR_MANAGEMENT_NAVIGATION_BLOCKED'
  | 'ERR_MANAGEMENT_TIMEOUT'
  | 'ERR_MANAGEMENT_INTERNAL'

/** Base of every Management API error: a stable code and the HTTP status it answers with. */
export class ManagementError extends Error {
  readonly code: ManagementErrorCode
  readonly statusCode: number
  /** Extra response headers (WWW-Authenticate, Content-Range, ...). */
  readonly headers: Record<string, string>

  constructor(
    code: ManagementErrorCode,
    statusCode: number,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.statusCode = statusCode
    this.headers = options.headers ?? {}
  }
}

/** 401: no credentials, a wrong key, or a token that does not verify. */
export class UnauthorizedError extends ManagementError {
  constructor(message: string, challenge: string, cause?: unknown) {
    super('ERR_MANAGEMENT_UNAUTHORIZED', 401, message, {
      cause,
      headers: { 'www-authenticate': challenge },
    })
  }
}

/** 403: valid credentials that do not cover this alloc, job, namespace or capability. */
export class ForbiddenError extends ManagementError {
  constructor(message: string) {
    super('ERR_MANAGEMENT_FORBIDDEN', 403, message)
  }
}

/** 404: no live task with this alloc id and task name. */
export class TaskNotFoundError extends ManagementError {
  constructor(allocId: string, taskName: string) {
    super(
      'ERR_MANAGEMENT_TASK_NOT_FOUND',
      404,
      `no running task '${taskName}' in alloc '${allocId}': check the alloc id and task name`,
    )
  }
}

/** 404: the file or folder does not exist in the task directory. */
export class FileNotFoundError extends ManagementError {
  constructor(relativePath: string) {
    super(
      'ERR_MANAGEMENT_FILE_NOT_FOUND',
      404,
      `'${relativePath}' does not exist in the task directory`,
    )
  }
}

/** 404: appPoolName names no pool of the task. */
export class PoolNotFoundError extends ManagementError {
  constructor(poolName: string, known: string[]) {
    super(
      'ERR_MANAGEMENT_POOL_NOT_FOUND',
      404,
      `the task has no application pool '${poolName}': use one of ${known.join(', ') || '(none)'}`,
    )
  }
}

/** 400: a path that is absolute, climbs with `..`, holds NUL or leads out through a symlink. */
export class BadPathError extends ManagementError {
  constructor(message: string) {
    super('ERR_MANAGEMENT_BAD_PATH', 400, message)
  }
}

/** 400: a malformed query, header or body. */
export class BadRequestError extends ManagementError {
  constructor(message: string, cause?: unknown) {
    super('ERR_MANAGEMENT_BAD_REQUEST', 400, message, { cause })
  }
}

/** 409: the request conflicts with the current state (a stopped pool, a folder in the way). */
export class ConflictError extends ManagementError {
  constructor(message: string) {
    super('ERR_MANAGEMENT_CONFLICT', 409, message)
  }
}

/** 412: If-Match did not match the file's current ETag. */
export class PreconditionFailedError extends ManagementError {
  constructor(message: string) {
    super('ERR_MANAGEMENT_PRECONDITION_FAILED', 412, message)
  }
}

/** 413: the request body is over the configured limit. */
export class PayloadTooLargeError extends ManagementError {
  constructor(limitBytes: number) {
    super(
      'ERR_MANAGEMENT_PAYLOAD_TOO_LARGE',
      413,
      `the request body is over the limit of ${limitBytes} bytes: send a smaller upload or raise the limit`,
      { headers: { connection: 'close' } },
    )
  }
}

/** 416: a byte range that lies outside the file. */
export class RangeNotSatisfiableError extends ManagementError {
  constructor(sizeBytes: number) {
    super(
      'ERR_MANAGEMENT_RANGE_NOT_SATISFIABLE',
      416,
      `the requested range lies outside the file of ${sizeBytes} bytes`,
      { headers: { 'content-range': `bytes */${sizeBytes}` } },
    )
  }
}

/** 422: a ZIP that is corrupt, over a limit, or holds an entry that would escape the target. */
export class BadZipError extends ManagementError {
  constructor(message: string, cause?: unknown) {
    super('ERR_MANAGEMENT_BAD_ZIP', 422, message, { cause })
  }
}

/** 409: the pool has no worker process to dump. */
export class NoWorkerError extends ManagementError {
  constructor(poolName: string) {
    super(
      'ERR_MANAGEMENT_NO_WORKER',
      409,
      `application pool '${poolName}' has no worker process running: send it a request or start it first`,
    )
  }
}

/** 409: procdump's EULA has not been accepted in the driver config. */
export class EulaNotAcceptedError extends ManagementError {
  constructor() {
    super(
      'ERR_MANAGEMENT_EULA_NOT_ACCEPTED',
      409,
      'procdump EULA not accepted: set accept_eula = true in the driver config block procdump',
    )
  }
}

/** 503: a tool the endpoint needs (browser, procdump) is not installed or does not start. */
export class DependencyMissingError extends ManagementError {
  constructor(message: string, cause?: unknown) {
    super('ERR_MANAGEMENT_DEPENDENCY_MISSING', 503, message, { cause })
  }
}

/** 503: too many requests of this kind at once; try again later. */
export class BusyError extends ManagementError {
  constructor(message: string) {
    super('ERR_MANAGEMENT_BUSY', 503, message, { headers: { 'retry-after': '5' } })
  }
}

/** 507: the disk would not hold the extracted files. */
export class InsufficientStorageError extends ManagementError {
  constructor(neededBytes: number, freeBytes: number) {
    super(
      'ERR_MANAGEMENT_INSUFFICIENT_STORAGE',
      507,
      `the upload needs ${neededBytes} bytes but only ${freeBytes} are free: free some disk space`,
    )
  }
}

/** 500/502: the driver core failed an operation; the detail says which. */
export class DriverFailedError extends ManagementError {
  constructor(operation: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    super('ERR_MANAGEMENT_DRIVER_FAILED', 502, `failed to ${operation}: ${reason}`, { cause })
  }
}

/** 502: the site did not answer the screenshot's request. */
export class SiteUnreachableError extends ManagementError {
  constructor(url: string, cause: unknown) {
    super(
      'ERR_MANAGEMENT_SITE_UNREACHABLE',
      502,
      `the site at ${url} did not answer: check that the task is running and its pool started`,
      { cause },
    )
  }
}

/** 502: the page photographed led to another origin (a redirect, a script), which is not followed. */
export class NavigationBlockedError extends ManagementError {
  constructor(url: string, reason: string) {
    super(
      'ERR_MANAGEMENT_NAVIGATION_BLOCKED',
      502,
      `the screenshot of ${url} was stopped: ${reason}; photograph a path that stays on the site`,
    )
  }
}

/** 504: a screenshot or dump took longer than its configured timeout. */
export class TimeoutError extends ManagementError {
  constructor(operation: string, timeoutMs: number) {
    super(
      'ERR_MANAGEMENT_TIMEOUT',
      504,
      `${operation} took longer than ${timeoutMs} ms: try again or raise the timeout`,
    )
  }
}
