/**
 * Newline-delimited JSON framing over a stream socket, shared by the control
 * server and its client.
 *
 * @module
 */
import type { Socket } from 'node:net'

/** Calls `onMessage` for each complete line; a line that is not JSON closes the socket. */
export function readJsonLines(socket: Socket, onMessage: (message: unknown) => void): void {
  let pending = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    pending += chunk
    let newline = pending.indexOf('\n')
    while (newline !== -1) {
      const line = pending.slice(0, newline)
      pending = pending.slice(newline + 1)
      if (line.trim() !== '') {
        let message: unknown
        try {
          message = JSON.parse(line)
        } catch {
          socket.destroy()
          return
        }
        onMessage(message)
      }
      newline = pending.indexOf('\n')
    }
  })
}

export function writeJsonLine(socket: Socket, message: unknown): void {
  if (!socket.destroyed && socket.writable) socket.write(`${JSON.stringify(message)}\n`)
}
