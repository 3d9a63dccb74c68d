/**
 * The site host's control protocol: newline-delimited JSON over a Unix
 * socket. Each request carries an `id` that its reply repeats; a connection
 * that sent `subscribe` also receives events (messages with `event`, no `id`).
 *
 * @module
 */
import type { PoolState, SiteDefinition } from './site-definition.js'

export type ControlRequest =
  | { id: number; op: 'ping' }
  | { id: number; op: 'status' }
  /** `pool` is a pool key; absent means every pool of the site. */
  | { id: number; op: 'startPool'; pool?: string }
  /** Replies once the pool's workers have exited. */
  | { id: number; op: 'stopPool'; pool?: string }
  | { id: number; op: 'recyclePool'; pool?: string }
  /** Graceful stop of the whole site: stop intake, drain up to timeoutMs, kill, exit. */
  | { id: number; op: 'shutdown'; timeoutMs: number }
  | { id: number; op: 'subscribe' }

export type ControlReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } }

export interface WorkerStatus {
  pid: number
  kind: 'static' | 'program'
  /** Application alias for a hosted program; null for the static worker. */
  application: string | null
  startedAt: string
}

export interface PoolStatus {
  key: string
  name: string
  state: PoolState
  workers: WorkerStatus[]
  /** Why the pool is stopped when it did not stop on request (rapid fail, bad config). */
  lastError: string | null
}

export interface SiteStatus {
  name: string
  pid: number
  startedAt: string
  controlSocketPath: string
  definition: SiteDefinition
  pools: PoolStatus[]
}

export type SiteEventKind =
  | 'poolStarted'
  | 'poolStopped'
  | 'poolRecycled'
  | 'workerStarted'
  | 'workerExited'
  | 'workerCrashed'
  | 'rapidFailProtection'
  | 'warning'
  | 'siteExiting'

export interface SiteEvent {
  event: SiteEventKind
  site: string
  pool: string | null
  message: string
  at: string
  details: Record<string, string>
  /** True on a start-up event replayed to a client that subscribed after it happened. */
  replayed?: boolean
}

/** What a site host writes when it exits, so a later reader learns why. */
export interface SiteExitRecord {
  exitCode: number
  /** Empty for a clean stop; the reason otherwise (e.g. rapid-fail protection). */
  error: string
  at: string
}
