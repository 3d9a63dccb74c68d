/**
 * Answers the site host writes itself on a connection it has not handed to
 * a worker, as HTTP.sys does: 503 for a stopped pool, 400 for a bad Host.
 *
 * @module
 */
import type { Duplex } from 'node:stream'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
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
 * Node's own default give one: 431 for a head over the limit, 400 for
 * anything else (e.g. both Content-Length and Transfer-Encoding, or two
 * different Content-Length values). A connection already answering, or no
 * longer writable, is just closed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const response = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  if (!socket.writable || response?.headersSent === true) {
    socket.destroy()
    return
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    writeRawResponse(socket, 431, 'Request Header Fields Too Large')
  } else writeRawResponse(socket, 400, 'Bad Request')
}
