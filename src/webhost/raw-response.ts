/**
 * Answers written without Node's response objects, as HTTP.sys writes its
 * own: the site host's on a connection it has not handed to a worker (503
 * for a stopped pool, 400 for a bad Host, 431 for an oversized head), and
 * every Node HTTP server's answer to a request it could not parse.
 *
 * @module
 */
import type { Duplex } from 'node:stream'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
}

/** Writes a complete response with `Connection: close` and ends the socket. */
export function writeRawResponse(socket: Duplex, status: number, body: string): void {
  const reason = REASONS[status] ?? 'Error'
  const text = `${body}\n`
  const head =
    `HTTP/1.1 ${status} ${reason}\r\n` +
    'Content-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(text)}\r\n` +
    `Date: ${new Date().toUTCString()}\r\n` +
    'Connection: close\r\n\r\n'
  socket.on('error', () => {})
  socket.end(head + text)
}

/**
 * What Node's HTTP server could not parse gets an answer, as HTTP.sys and
 * Node's own default give one: 431 for a head over the limit, 408 for a request not complete within Node's request timeout, 400 for
 * anything else (e.g. both Content-Length and Transfer-Encoding, or two
 * different Content-Length values). A connection already answering, reset
 * or no longer writable is just closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const response = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  if (!socket.writable || response?.headersSent === true || err.code === 'ECONNRESET') {
    socket.destroy()
    return
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    writeRawResponse(socket, 431, 'Request Header Fields Too Large')
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    writeRawResponse(socket, 408, 'Request Timeout')
  } else writeRawResponse(socket, 400, 'Bad Request')
}
