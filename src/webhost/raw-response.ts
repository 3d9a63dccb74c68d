/**
 * Answers the site host writes itself on a connection it has not handed to
 * a worker, as HTTP.sys does: 503 for a stopped pool, 400 for a bad Host.
 *
 * @module
 */
import type { Socket } from 'node:net'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
}

/** Writes a complete response with `Connection: close` and ends the socket. */
export function writeRawResponse(socket: Socket, status: number, body: string): void {
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
