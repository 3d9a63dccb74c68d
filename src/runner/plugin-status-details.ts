/**
 * Reads Nomad's RecoverableError detail from a failed call's
 * grpc-status-details-bin trailer (reference 2.2).
 *
 * @module
 */
import type * as grpc from '@grpc/grpc-js'

const RECOVERABLE_TYPE_URL =
  'type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError'

/**
 * True when a failed call carries Nomad's RecoverableError detail with
 * `recoverable = true` in its grpc-status-details-bin trailer: the client
 * then applies the job's restart policy instead of failing the task.
 */
export function isRecoverableError(err: unknown): boolean {
  const metadata = (err as { metadata?: grpc.Metadata } | null)?.metadata
  const values = metadata?.get('grpc-status-details-bin') ?? []
  for (const value of values) {
    if (!Buffer.isBuffer(value)) continue
    for (const detail of protoFields(value).filter((f) => f.number === 3)) {
      const any = protoFields(detail.bytes)
      const typeUrl = any.find((f) => f.number === 1)?.bytes.toString()
      const payload = any.find((f) => f.number === 2)?.bytes
      if (typeUrl === RECOVERABLE_TYPE_URL && payload !== undefined) {
        return payload.length >= 2 && payload[0] === 0x08 && payload[1] === 0x01
      }
    }
  }
  return false
}

/** The length-delimited fields of a protobuf message (other wire types skipped). */
function protoFields(buf: Buffer): { number: number; bytes: Buffer }[] {
  const fields: { number: number; bytes: Buffer }[] = []
  let at = 0
  const varint = () => {
    let value = 0
    let shift = 0
    while (at < buf.length) {
      const byte = buf[at++]
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
      if ((byte & 0x80) === 0) break
    }
    return value
  }
  while (at < buf.length) {
    const key = varint()
    const wireType = key % 8
    if (wireType === 0) varint()
    else if (wireType === 2) {
      const length = varint()
      fields.push({ number: Math.floor(key / 8), bytes: buf.subarray(at, at + length) })
      at += length
    } else if (wireType === 1) at += 8
    else if (wireType === 5) at += 4
    else break
  }
  return fields
}
