/**
 * The plugin's error catalogue and the mapping of every failure to a gRPC
 * status. Ordinary failures never use UNAVAILABLE or CANCELLED: the Nomad
 * client reads those as "the plugin is dying" (reference 2.2, pitfall 16).
 *
 * @module
 */
import { Metadata, status } from '@grpc/grpc-js'
import type { ServiceError } from '@grpc/grpc-js'
import { DriverError, INVALID_INPUT_CODES } from '../driver/errors.js'

export type PluginErrorCode =
  | 'ERR_PLUGIN_BAD_MSGPACK'
  | 'ERR_PLUGIN_BAD_REQUEST'
  | 'ERR_PLUGIN_NOT_CONFIGURED'
  | 'ERR_PLUGIN_UNSUPPORTED'
  | 'ERR_PLUGIN_USAGE'

export class PluginError extends Error {
  readonly code: PluginErrorCode

  constructor(code: PluginErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'PluginError'
    this.code = code
  }
}

/** Go drivers' text for an unknown task; kept so operators recognise it. */
export const TASK_NOT_FOUND_MESSAGE = 'task not found for given id'

const PLUGIN_CODES: Record<PluginErrorCode, status> = {
  ERR_PLUGIN_BAD_MSGPACK: status.INVALID_ARGUMENT,
  ERR_PLUGIN_BAD_REQUEST: status.INVALID_ARGUMENT,
  ERR_PLUGIN_NOT_CONFIGURED: status.FAILED_PRECONDITION,
  ERR_PLUGIN_UNSUPPORTED: status.UNIMPLEMENTED,
  ERR_PLUGIN_USAGE: status.INVALID_ARGUMENT,
}

const RECOVERABLE_TYPE_URL =
  'type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError'

/** Translates any thrown value into the status the Nomad client should see. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof PluginError) return withStatus(PLUGIN_CODES[err.code], err.message)
  if (!(err instanceof DriverError)) {
    const message = err instanceof Error ? err.message : String(err)
    return withStatus(status.UNKNOWN, message)
  }
  if (INVALID_INPUT_CODES.has(err.code)) return withStatus(status.INVALID_ARGUMENT, err.message)
  switch (err.code) {
    case 'ERR_DRIVER_TASK_NOT_FOUND':
      return withStatus(status.NOT_FOUND, `${TASK_NOT_FOUND_MESSAGE}: ${err.message}`)
    case 'ERR_DRIVER_TASK_EXISTS':
      return withStatus(status.ALREADY_EXISTS, err.message)
    case 'ERR_DRIVER_SITE_HOST_GONE':
      return withStatus(status.NOT_FOUND, err.message)
    case 'ERR_DRIVER_START_FAILED':
      // Nomad applies the job's restart policy only with this detail attached
      return withStatus(status.FAILED_PRECONDITION, err.message, true)
    case 'ERR_DRIVER_CLOSED':
      return withStatus(status.ABORTED, err.message)
    default:
      return withStatus(status.FAILED_PRECONDITION, err.message)
  }
}

/** A status error, optionally carrying Nomad's RecoverableError detail. */
export function withStatus(
  code: status,
  message: string,
  isRecoverable = false,
): Partial<ServiceError> {
  const metadata = new Metadata()
  if (isRecoverable) {
    metadata.set('grpc-status-details-bin', encodeRecoverableStatus(code, message))
  }
  return { code, details: message, metadata }
}

/** google.rpc.Status{code, message, details: [Any{RecoverableError{true}}]}, hand-encoded. */
export function encodeRecoverableStatus(code: number, message: string): Buffer {
  const recoverable = Buffer.from([0x08, 0x01])
  const any = Buffer.concat([field(1, Buffer.from(RECOVERABLE_TYPE_URL)), field(2, recoverable)])
  return Buffer.concat([
    Buffer.from([0x08]),
    varint(code),
    field(2, Buffer.from(message)),
    field(3, any),
  ])
}

function field(number: number, payload: Buffer): Buffer {
  return Buffer.concat([varint((number << 3) | 2), varint(payload.length), payload])
}

function varint(value: number): Buffer {
  const bytes: number[] = []
  let rest = value
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80)
    rest >>>= 7
  }
  bytes.push(rest)
  return Buffer.from(bytes)
}
