/**
 * Messages on the private IPC channels: the starter and the site host while
 * it starts, and the site host and its workers for their whole life.
 *
 * @module
 */
import type { SiteDefinition } from './site-definition.js'

/** Starter -> site host: the one message it sends. */
export interface StartMessage {
  type: 'start'
  definition: SiteDefinition
  stateDir: string
}

/** Site host -> starter: ready, or failed (and the site host then exits having cleaned up). */
export type HostToParent =
  | { type: 'ready'; pid: number; controlSocketPath: string; startedAt: string }
  | { type: 'failed'; code: string; message: string }

/** Which listener a handed-over connection came in on; `internal` is the forwarding socket. */
export type ListenerId = string

/** Site host -> worker. A `conn` message carries the socket as its handle. */
export type HostToWorker =
  | {
      type: 'conn'
      listener: ListenerId
      /** The bytes the site host already read from the socket, base64. */
      head: string
    }
  /** Overlapped recycle: finish what you have, keep idle connections to their keep-alive timeout. */
  | { type: 'drain' }
  /** Pool stop: close idle connections now, finish in-flight requests, exit. */
  | { type: 'stop' }

/** Worker -> site host. */
export type WorkerToHost = { type: 'ready' } | { type: 'idle' } | { type: 'drained' }

/** What a worker is told at spawn, as JSON in its environment. */
export interface WorkerConfig {
  site: SiteDefinition
  pool: string
  /** Hostnames accepted per listener id; a null entry accepts any Host. */
  listeners: Record<ListenerId, (string | null)[]>
  internalSocketPath: string
  idleTimeoutMs: number
}

/**
 * The client's address on a request a worker forwards to the internal
 * socket, which has no address of its own. Every hop that takes a request
 * from a client's TCP connection removes any copy the client sent and sets
 * it; only the internal socket's side trusts it.
 */
export const CLIENT_ADDRESS_HEADER = 'x-nomad-iis-client-address'
