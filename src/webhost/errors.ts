/**
 * The web host's error catalogue. Codes are API: never renamed or reused.
 *
 * @module
 */

export type WebhostErrorCode =
  | 'ERR_WEBHOST_HTTPS_UNSUPPORTED'
  | 'ERR_WEBHOST_PROGRAM_UNSUPPORTED'
  | 'ERR_WEBHOST_INVALID_DEFINITION'
  | 'ERR_WEBHOST_PORT_IN_USE'
  | 'ERR_WEBHOST_LISTEN_FAILED'
  | 'ERR_WEBHOST_START_FAILED'
  | 'ERR_WEBHOST_UNKNOWN_POOL'
  | 'ERR_WEBHOST_CONTROL_CLOSED'
  | 'ERR_WEBHOST_CONTROL_FAILED'
  | 'ERR_WEBHOST_WORKER_START_FAILED'
  | 'ERR_WEBHOST_POOL_STOPPED'
  | 'ERR_WEBHOST_SITE_EXISTS'

/** Base of every error the web host throws; `code` is stable. */
export class WebhostError extends Error {
  readonly code: WebhostErrorCode

  constructor(code: WebhostErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WebhostError'
    this.code = code
  }
}

/** A binding asks for https, which comes in a later issue. */
export function httpsUnsupported(port: number): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_HTTPS_UNSUPPORTED',
    `binding on port ${port} is https, which is not supported yet: use type "http"`,
  )
}

/** An application is served by a program of its own, which comes in a later issue. */
export function programUnsupported(alias: string): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_PROGRAM_UNSUPPORTED',
    `application "${alias}" is a hosted program, which is not supported yet: serve static files`,
  )
}

export function invalidDefinition(message: string): WebhostError {
  return new WebhostError('ERR_WEBHOST_INVALID_DEFINITION', message)
}

export function portInUse(address: string, port: number, cause?: unknown): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_PORT_IN_USE',
    `port ${port} on ${address} is already in use: choose another port or stop what holds it`,
    { cause },
  )
}

export function listenFailed(address: string, port: number, cause?: unknown): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_LISTEN_FAILED',
    `failed to listen on ${address}:${port}: ${errorText(cause)}`,
    { cause },
  )
}

export function startFailed(site: string, reason: string, cause?: unknown): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_START_FAILED',
    `failed to start the site host for "${site}": ${reason}`,
    {
      cause,
    },
  )
}

export function unknownPool(key: string): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_UNKNOWN_POOL',
    `no application pool "${key}" in this site: use a pool key from the site definition`,
  )
}

export function controlClosed(): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_CONTROL_CLOSED',
    'the site host control connection is closed: reconnect to the control socket',
  )
}

/** A control request the site host answered with an error; keeps the host's code in the message. */
export function controlFailed(code: string, message: string): WebhostError {
  const err = new WebhostError('ERR_WEBHOST_CONTROL_FAILED', message)
  if (isWebhostCode(code)) (err as { code: WebhostErrorCode }).code = code
  return err
}

export function workerStartFailed(pool: string, reason: string, cause?: unknown): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_WORKER_START_FAILED',
    `failed to start a worker for pool "${pool}": ${reason}`,
    { cause },
  )
}

export function poolStopped(pool: string): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_POOL_STOPPED',
    `application pool "${pool}" is stopped: start it first`,
  )
}

export function siteExists(site: string, pid: number): WebhostError {
  return new WebhostError(
    'ERR_WEBHOST_SITE_EXISTS',
    `site "${site}" is already served by site host pid ${pid}: stop it or choose another name`,
  )
}

const CODES: ReadonlySet<string> = new Set<WebhostErrorCode>([
  'ERR_WEBHOST_HTTPS_UNSUPPORTED',
  'ERR_WEBHOST_PROGRAM_UNSUPPORTED',
  'ERR_WEBHOST_INVALID_DEFINITION',
  'ERR_WEBHOST_PORT_IN_USE',
  'ERR_WEBHOST_LISTEN_FAILED',
  'ERR_WEBHOST_START_FAILED',
  'ERR_WEBHOST_UNKNOWN_POOL',
  'ERR_WEBHOST_CONTROL_CLOSED',
  'ERR_WEBHOST_CONTROL_FAILED',
  'ERR_WEBHOST_WORKER_START_FAILED',
  'ERR_WEBHOST_POOL_STOPPED',
  'ERR_WEBHOST_SITE_EXISTS',
])

export function isWebhostCode(code: string): code is WebhostErrorCode {
  return CODES.has(code)
}

function errorText(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}
