/**
 * The site host's share of each new connection: read just enough of the
 * first request to route it (Host and path), stop reading, and give the
 * socket with the bytes read to the chosen pool. Like HTTP.sys, it answers a
 * Host no binding accepts with 400 "Invalid Hostname" itself.
 *
 * @module
 */
import { findHeadEnd, isHostAccepted, MAX_HEAD_BYTES, parseRequestHead } from './request-head.js'
import { writeRawResponse } from './raw-response.js'
import { normalizeUrlPath } from './url-path.js'
import type { Socket } from 'node:net'
import type { Router } from './router.js'
import type { ListenerId } from './site-host-messages.js'

/** A client must send its first request head within this long (slowloris guard). */
const HEAD_TIMEOUT_MS = 30_000

export const INTERNAL_LISTENER: ListenerId = 'internal'

export interface IntakeTarget {
  router: Router
  /** Hostnames per listener; an entry of null accepts any Host. */
  hostnames: Record<ListenerId, (string | null)[]>
  /** `path` is the first request's decoded path, for routing below the pool (hosted programs). */
  dispatch(pool: string, socket: Socket, listener: ListenerId, head: Buffer, path: string): void
}

/** Takes over a freshly accepted socket until its first request head is routed. */
export function takeConnection(socket: Socket, listener: ListenerId, target: IntakeTarget): void {
  let head: Buffer = Buffer.alloc(0)
  socket.on('error', () => socket.destroy())
  socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy())
  const onData = (chunk: Buffer): void => {
    head = head.length === 0 ? chunk : Buffer.concat([head, chunk])
    const end = findHeadEnd(head)
    if (end === -1) {
      if (head.length > MAX_HEAD_BYTES) {
        stopReading(socket, onData)
        writeRawResponse(socket, 431, 'Request Header Fields Too Large')
      }
      return
    }
    // Stop in the same tick the head arrived: nothing more may be read here,
    // because whatever follows belongs to the worker that gets the socket.
    stopReading(socket, onData)
    // A whole head that arrived in one read can still be over the limit.
    if (end > MAX_HEAD_BYTES) writeRawResponse(socket, 431, 'Request Header Fields Too Large')
    else route(socket, listener, head, end, target)
  }
  socket.on('data', onData)
}

function route(
  socket: Socket,
  listener: ListenerId,
  head: Buffer,
  end: number,
  target: IntakeTarget,
): void {
  const parsed = parseRequestHead(head, end)
  if (parsed === null) {
    writeRawResponse(socket, 400, 'Bad Request')
    return
  }
  if (
    listener !== INTERNAL_LISTENER &&
    !isHostAccepted(parsed.host, target.hostnames[listener] ?? [null])
  ) {
    writeRawResponse(socket, 400, 'Bad Request - Invalid Hostname')
    return
  }
  const normalized = normalizeUrlPath(parsed.rawPath)
  if (!normalized.ok) {
    writeRawResponse(socket, 400, 'Bad Request')
    return
  }
  const pool = target.router.poolFor(normalized.path)
  if (pool === null) {
    writeRawResponse(socket, 404, 'Not Found')
    return
  }
  target.dispatch(pool, socket, listener, head, normalized.path)
}

function stopReading(socket: Socket, onData: (chunk: Buffer) => void): void {
  socket.removeListener('data', onData)
  socket.removeAllListeners('error')
  socket.on('error', () => socket.destroy())
  socket.setTimeout(0)
  socket.pause()
  // pause() alone lets the stream keep reading into its buffer; stopping
  // the handle keeps every further byte in the kernel for the worker.
  const handle = (socket as unknown as { _handle?: { readStop?: () => number; reading?: boolean } })
    ._handle
  if (handle?.readStop !== undefined) {
    handle.reading = false
    handle.readStop()
  }
}
