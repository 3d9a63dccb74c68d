/**
 * The static worker's fast path for the commonest request there is: a
 * GET or HEAD on HTTP/1.1 for a file already in the cache, without
 * conditions, ranges or a body. Such requests are answered from bytes
 * rendered once per file, with one write, and no request or response
 * objects, as HTTP.sys answers from its kernel cache. The first request on
 * a connection that is anything else hands the connection, with the bytes
 * not yet answered, to Node's HTTP server for the rest of its life.
 *
 * The parser here is deliberately narrow: any header it does not need to
 * understand is ignored, and anything unusual (a body, a folded or
 * malformed line, an upgrade, a missing or repeated Host) is handed on
 * rather than judged, so request smuggling has nothing to work with.
 *
 * @module
 */
import type { Socket } from 'node:net'
import type { CachedFile } from './file-cache.js'

/** Same as the HTTP server's keepAliveTimeout: idle connections close after it. */
export const KEEP_ALIVE_MS = 5000
const MAX_HEAD_BYTES = 16 * 1024
const HEAD_END = Buffer.from('\r\n\r\n')
const KEEP_ALIVE_TAIL = Buffer.from('\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n')
const CLOSE_TAIL = Buffer.from('\r\nConnection: close\r\n\r\n')
const REQUEST_LINE = /^(GET|HEAD) (\/[^ ]*) HTTP\/1\.1$/
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** Headers whose presence means the request needs the full HTTP server. */
const PUNT_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'expect',
  'upgrade',
  'range',
  'if-range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
])

export interface FastPathHooks {
  /** The cached file (with its bytes) answering this target, if any. */
  entryFor(target: string): CachedFile | undefined
  /** Whether the listener accepts this (portless, lowercased) Host. */
  acceptsHost(host: string | null): boolean
  isDraining(): boolean
  onRequest(): void
  /** Gives the connection to the HTTP server, with the bytes to parse first. */
  handOff(socket: Socket, unread: Buffer | null): void
}

interface SimpleRequest {
  target: string
  isHead: boolean
  host: string | null
  wantsClose: boolean
}

let dateLine = Buffer.from(new Date().toUTCString())
let dateSecond = Math.floor(Date.now() / 1000)

/** Serves `socket` on the fast path, starting with `initial` (bytes already read). */
export function runFastPath(socket: Socket, initial: Buffer | null, hooks: FastPathHooks): void {
  let pending: Buffer | null = initial !== null && initial.length > 0 ? initial : null
  const onData = (chunk: Buffer): void => {
    pending = pending === null ? chunk : Buffer.concat([pending, chunk])
    answerPending()
  }
  const onTimeout = (): void => {
    socket.destroy()
  }
  const stop = (): void => {
    socket.removeListener('data', onData)
    socket.removeListener('timeout', onTimeout)
    socket.setTimeout(0)
  }
  const handOff = (): void => {
    stop()
    socket.pause()
    const unread = pending
    pending = null
    hooks.handOff(socket, unread)
  }
  function answerPending(): void {
    while (pending !== null) {
      const end = pending.indexOf(HEAD_END)
      if (end === -1) {
        if (pending.length > MAX_HEAD_BYTES) handOff()
        return
      }
      // Over the limit: Node's parser gives the 431, as for any other head.
      if (end > MAX_HEAD_BYTES) {
        handOff()
        return
      }
      const request = parseSimpleRequest(pending.toString('latin1', 0, end))
      const entry =
        request !== null && hooks.acceptsHost(request.host)
          ? hooks.entryFor(request.target)
          : undefined
      if (request === null || entry === undefined || entry.body === null) {
        handOff()
        return
      }
      hooks.onRequest()
      const isClosing = request.wantsClose || hooks.isDraining()
      writeAnswer(socket, entry, request.isHead, isClosing)
      pending = end + 4 < pending.length ? pending.subarray(end + 4) : null
      if (isClosing) {
        stop()
        socket.end()
        return
      }
    }
  }
  socket.setTimeout(KEEP_ALIVE_MS)
  socket.on('timeout', onTimeout)
  socket.on('data', onData)
  if (pending !== null) answerPending()
  socket.resume()
}

/** The head the HTTP server would send for a plain 200, then the cached bytes; one writev. */
function writeAnswer(socket: Socket, entry: CachedFile, isHead: boolean, isClosing: boolean): void {
  const second = Math.floor(Date.now() / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateLine = Buffer.from(new Date(second * 1000).toUTCString())
  }
  socket.cork()
  socket.write(entry.headPrefix)
  socket.write(dateLine)
  socket.write(isClosing ? CLOSE_TAIL : KEEP_ALIVE_TAIL)
  if (!isHead && entry.body !== null && entry.body.length > 0) socket.write(entry.body)
  socket.uncork()
}

/** RFC 9112 section 3 request line and section 5 field lines, narrowly; null hands the request on. */
export function parseSimpleRequest(head: string): SimpleRequest | null {
  const lines = head.split('\r\n')
  const line = REQUEST_LINE.exec(lines[0] ?? '')
  if (line === null) return null
  let host: string | null = null
  let hasHost = false
  let wantsClose = false
  for (let i = 1; i < lines.length; i++) {
    const field = lines[i] as string
    const colon = field.indexOf(':')
    if (colon <= 0) return null
    const name = field.slice(0, colon).toLowerCase()
    if (!TOKEN.test(name) || PUNT_HEADERS.has(name)) return null
    const value = field.slice(colon + 1).trim()
    if (name === 'host') {
      if (hasHost) return null
      hasHost = true
      host = stripPortLower(value)
    } else if (name === 'connection') {
      const options = value.toLowerCase()
      if (options.includes('upgrade')) return null
      if (options.includes('close')) wantsClose = true
    }
  }
  // RFC 9112 section 3.2: an HTTP/1.1 request without Host is answered 400 by the full server.
  if (!hasHost) return null
  return { target: line[2] as string, isHead: line[1] === 'HEAD', host, wantsClose }
}

function stripPortLower(host: string): string {
  const lower = host.toLowerCase()
  if (lower.startsWith('[')) {
    const close = lower.indexOf(']')
    return close === -1 ? lower : lower.slice(0, close + 1)
  }
  const colon = lower.indexOf(':')
  return colon === -1 ? lower : lower.slice(0, colon)
}
