/**
 * Receives a request body into a file, never holding it whole in memory,
 * and refuses it with 413 once it passes the limit. A client that goes away
 * midway makes the returned promise reject, so nothing after it runs.
 *
 * @module
 */
import { createWriteStream } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { Transform } from 'node:stream'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { BadRequestError, PayloadTooLargeError } from './errors.js'

const ZIP_TYPES = new Set([
  'application/zip',
  'application/x-zip-compressed',
  'application/x-zip',
  // The IIS driver's page spells it this way; clients copied it.
  'application-zip',
])

/** True for the ZIP media types, compared case-insensitively and without parameters. */
export function isZipType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  return ZIP_TYPES.has(contentType.split(';')[0].trim().toLowerCase())
}

/**
 * Writes `body` to a new file at `path`; resolves with the byte count.
 *
 * @throws PayloadTooLargeError over `maxBytes`; BadRequestError when the client disconnects
 */
export async function receiveBody(body: Readable, path: string, maxBytes: number): Promise<number> {
  let bytes = 0
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      if (bytes > maxBytes) callback(new PayloadTooLargeError(maxBytes))
      else callback(null, chunk)
    },
  })
  const onClose = (): void => {
    if ((body as IncomingMessage).complete === false) {
      limiter.destroy(new BadRequestError('the client disconnected before the upload ended'))
    }
  }
  body.on('close', onClose)
  body.on('error', (err) => limiter.destroy(err))
  const written = pipeline(limiter, createWriteStream(path, { flags: 'wx' }))
  body.pipe(limiter)
  try {
    await written
    return bytes
  } catch (err) {
    body.unpipe(limiter)
    // Drain what is left so the 413 can still be sent on this connection.
    if (err instanceof PayloadTooLargeError) body.resume()
    throw err
  } finally {
    body.off('close', onClose)
  }
}
