/**
 * The site host's side of the control socket: newline-delimited JSON
 * requests in, replies and (for subscribers) events out.
 *
 * @module
 */
import { createServer } from 'node:net'
import { readJsonLines, writeJsonLine } from './ndjson.js'
import type { Server, Socket } from 'node:net'
import type { ControlRequest, SiteEvent } from './control-protocol.js'

/** Runs one control request; throws an error with a `code` to answer it with a failure. */
export type ControlHandler = (request: ControlRequest) => Promise<unknown>

/** Start-up events kept for later subscribers, at most. */
const MAX_REPLAYED_EVENTS = 100

export class ControlServer {
  #server: Server
  #subscribers = new Set<Socket>()
  #sockets = new Set<Socket>()
  #replayed: SiteEvent[] = []

  constructor(handler: ControlHandler) {
    this.#server = createServer((socket) => {
      this.#sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        this.#sockets.delete(socket)
        this.#subscribers.delete(socket)
      })
      readJsonLines(
        socket,
        (message) => void this.#answer(socket, message as ControlRequest, handler),
      )
    })
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(path, () => {
        this.#server.removeListener('error', reject)
        resolve()
      })
    })
  }

  broadcast(event: SiteEvent): void {
    for (const socket of this.#subscribers) writeJsonLine(socket, event)
  }

  /**
   * Keeps an event to be replayed, in order, to every subscriber that comes
   * later (the site host's start-up events: its starter subscribes only once
   * the start resolved). At most MAX_REPLAYED_EVENTS are kept.
   */
  keepForReplay(event: SiteEvent): void {
    if (this.#replayed.length < MAX_REPLAYED_EVENTS) this.#replayed.push(event)
  }

  /** Stops listening and drops every connection (their clients see `close`). */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    return new Promise((resolve) => this.#server.close(() => resolve()))
  }

  async #answer(socket: Socket, request: ControlRequest, handler: ControlHandler): Promise<void> {
    if (typeof request?.id !== 'number' || typeof request.op !== 'string') {
      writeJsonLine(socket, {
        id: typeof request?.id === 'number' ? request.id : -1,
        ok: false,
        error: {
          code: 'ERR_WEBHOST_CONTROL_FAILED',
          message: 'a control request needs a numeric id and an op',
        },
      })
      return
    }
    if (request.op === 'subscribe' && !this.#subscribers.has(socket)) {
      this.#subscribers.add(socket)
      for (const event of this.#replayed) writeJsonLine(socket, { ...event, replayed: true })
    }
    try {
      const result = await handler(request)
      writeJsonLine(socket, { id: request.id, ok: true, result: result ?? null })
    } catch (err) {
      const e = err as { code?: string; message?: string }
      writeJsonLine(socket, {
        id: request.id,
        ok: false,
        error: { code: e.code ?? 'ERR_WEBHOST_CONTROL_FAILED', message: e.message ?? String(err) },
      })
    }
  }
}
