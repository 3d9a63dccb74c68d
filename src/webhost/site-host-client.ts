/**
 * The client side of a site host: start one detached, then talk to it over
 * its control socket. This is what driver/ uses; it knows nothing of Nomad.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  controlClosed,
  controlFailed,
  isWebhostCode,
  startFailed,
  siteExists,
  WebhostError,
} from './errors.js'
import { readJsonLines, writeJsonLine } from './ndjson.js'
import { isProcessAlive, readRegistry } from './registry.js'
import { validateSiteDefinition } from './validate-definition.js'
import type { Socket } from 'node:net'
import type { ControlReply, ControlRequest, SiteEvent, SiteStatus } from './control-protocol.js'
import type { SiteDefinition } from './site-definition.js'
import type { HostToParent } from './site-host-messages.js'

const SITE_HOST_MAIN = fileURLToPath(new URL('./site-host-main.js', import.meta.url))

/** Extra time over the pools' start time limits before a silent site host counts as failed. */
const START_GRACE_MS = 15_000

export interface StartSiteHostOptions {
  /** Directory for the registry, exit records and (when short enough) sockets. */
  stateDir: string
}

export interface StartedSiteHost {
  pid: number
  controlSocketPath: string
  startedAt: string
}

/**
 * Starts a detached site host for `def`. Resolves once every binding listens
 * and every AlwaysRunning pool has a ready worker; the site host then
 * outlives the caller (own session, no inherited stdio, IPC disconnected).
 *
 * @throws WebhostError ERR_WEBHOST_INVALID_DEFINITION, ERR_WEBHOST_HTTPS_UNSUPPORTED,
 *   ERR_WEBHOST_PORT_IN_USE, ERR_WEBHOST_SITE_EXISTS, ERR_WEBHOST_START_FAILED; on failure
 *   no process, socket or registry entry is left behind.
 * @example
 * const host = await startSiteHost(def, { stateDir: '/var/lib/nomad-iis' })
 * const client = await SiteHostClient.connect(host.controlSocketPath)
 */
export async function startSiteHost(
  def: SiteDefinition,
  opts: StartSiteHostOptions,
): Promise<StartedSiteHost> {
  validateSiteDefinition(def)
  const existing = (await readRegistry(opts.stateDir)).find((e) => e.definition.name === def.name)
  if (existing !== undefined && isProcessAlive(existing.pid))
    throw siteExists(def.name, existing.pid)

  const child = spawn(process.execPath, [SITE_HOST_MAIN], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  })
  const timeoutMs = START_GRACE_MS + Math.max(0, ...def.pools.map((p) => p.startTimeLimitMs))
  return new Promise<StartedSiteHost>((resolve, reject) => {
    let isSettled = false
    const timer = setTimeout(() => {
      fail(startFailed(def.name, `no answer within ${timeoutMs} ms`))
      child.kill('SIGKILL')
    }, timeoutMs)
    function fail(err: Error): void {
      if (isSettled) return
      isSettled = true
      clearTimeout(timer)
      if (child.exitCode !== null || child.signalCode !== null) reject(err)
      else child.once('exit', () => reject(err))
    }
    child.once('error', (err) => fail(startFailed(def.name, 'spawn failed', err)))
    child.once('exit', (code, signal) => {
      fail(startFailed(def.name, `site host exited early (code ${code}, signal ${signal})`))
    })
    child.on('message', (raw) => {
      const message = raw as HostToParent
      if (message.type === 'failed') {
        const code = isWebhostCode(message.code) ? message.code : 'ERR_WEBHOST_START_FAILED'
        fail(new WebhostError(code, message.message))
        return
      }
      if (isSettled) return
      isSettled = true
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.disconnect()
      child.unref()
      resolve({
        pid: message.pid,
        controlSocketPath: message.controlSocketPath,
        startedAt: message.startedAt,
      })
    })
    child.send({ type: 'start', definition: def, stateDir: opts.stateDir })
  })
}

/** A control request before the client numbers it. */
type RequestBody = ControlRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void }

/**
 * One connection to a site host's control socket. Emits `close` when the
 * site host goes away (or `close()` was called).
 */
export class SiteHostClient extends EventEmitter {
  #socket: Socket
  #nextId = 1
  /** Requests sent and not yet answered; settled by replies or by close. */
  #pending = new Map<number, Pending>()
  #listeners = new Set<(e: SiteEvent) => void>()
  #isSubscribed = false
  #isClosed = false

  private constructor(socket: Socket) {
    super()
    this.#socket = socket
    readJsonLines(socket, (m) => this.#onMessage(m))
    socket.on('error', () => {})
    socket.on('close', () => this.#onClose())
  }

  /** Connects to a site host's control socket. */
  static connect(socketPath: string): Promise<SiteHostClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath)
      socket.once('error', reject)
      socket.once('connect', () => {
        socket.removeListener('error', reject)
        resolve(new SiteHostClient(socket))
      })
    })
  }

  get isClosed(): boolean {
    return this.#isClosed
  }

  ping(): Promise<void> {
    return this.#request({ op: 'ping' }).then(() => undefined)
  }

  status(): Promise<SiteStatus> {
    return this.#request({ op: 'status' }) as Promise<SiteStatus>
  }

  /** Starts a pool (every pool when `key` is absent); resolves once AlwaysRunning workers are ready. */
  startPool(key?: string): Promise<void> {
    return this.#request({ op: 'startPool', pool: key }).then(() => undefined)
  }

  /** Stops a pool (every pool when `key` is absent); resolves after its workers exited. */
  stopPool(key?: string): Promise<void> {
    return this.#request({ op: 'stopPool', pool: key }).then(() => undefined)
  }

  /** Recycles a pool; overlapped unless the pool disables it. Resolves once the new worker serves. */
  recyclePool(key?: string): Promise<void> {
    return this.#request({ op: 'recyclePool', pool: key }).then(() => undefined)
  }

  /** Stops the whole site: intake first, then draining for up to `timeoutMs`, then kill and exit. */
  async shutdown(timeoutMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => {
      if (this.#isClosed) resolve()
      else this.once('close', resolve)
    })
    try {
      await this.#request({ op: 'shutdown', timeoutMs })
    } catch (err) {
      // The site host closes its control connections as its last act.
      if ((err as WebhostError).code !== 'ERR_WEBHOST_CONTROL_CLOSED') throw err
    }
    await closed
  }

  /** Receives the site host's events from now on. */
  subscribe(listener: (e: SiteEvent) => void): void {
    this.#listeners.add(listener)
    if (this.#isSubscribed) return
    this.#isSubscribed = true
    this.#request({ op: 'subscribe' }).catch(() => {})
  }

  /** Closes this connection; the site host keeps running. */
  close(): void {
    this.#socket.end()
    this.#socket.destroy()
  }

  #request(body: RequestBody): Promise<unknown> {
    if (this.#isClosed) return Promise.reject(controlClosed())
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      writeJsonLine(this.#socket, { ...body, id })
    })
  }

  #onMessage(message: unknown): void {
    const m = message as Partial<ControlReply> & Partial<SiteEvent>
    if (typeof m.event === 'string') {
      for (const listener of this.#listeners) listener(m as SiteEvent)
      return
    }
    const pending = this.#pending.get(m.id ?? -1)
    if (pending === undefined) return
    this.#pending.delete(m.id as number)
    const reply = m as ControlReply
    if (reply.ok) pending.resolve(reply.result)
    else pending.reject(controlFailed(reply.error.code, reply.error.message))
  }

  #onClose(): void {
    if (this.#isClosed) return
    this.#isClosed = true
    for (const pending of this.#pending.values()) pending.reject(controlClosed())
    this.#pending.clear()
    this.emit('close')
  }
}
