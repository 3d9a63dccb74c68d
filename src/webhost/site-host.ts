/**
 * The site host: one process per site. It owns the site's listeners, routes
 * each new connection to an application pool, supervises the pools'
 * workers, answers the control socket and keeps the registry entry.
 *
 * @module
 */
import { mkdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname } from 'node:path'
import { listenFailed, portInUse, unknownPool } from './errors.js'
import { AppPool } from './app-pool.js'
import { ControlServer } from './control-server.js'
import { INTERNAL_LISTENER, takeConnection } from './connection-intake.js'
import type { IntakeTarget } from './connection-intake.js'
import {
  removeRegistryEntry,
  writeExitRecord,
  writeRegistryEntry,
  removeExitRecord,
} from './registry.js'
import { Router } from './router.js'
import { SitePrograms } from './hosted/site-programs.js'
import { controlSocketPath, internalSocketPath } from './state-paths.js'
import type { Server } from 'node:net'
import type { Logger } from 'pino'
import type { ControlRequest, SiteEvent, SiteExitRecord, SiteStatus } from './control-protocol.js'
import type { PoolEvent } from './app-pool.js'
import type { SiteDefinition } from './site-definition.js'
import type { ListenerId } from './site-host-messages.js'

export interface SiteHostOptions {
  definition: SiteDefinition
  stateDir: string
  logger: Logger
  stdoutFd: number | null
  stderrFd: number | null
}

interface ListenerSpec {
  id: ListenerId
  address: string | null
  port: number
  hostnames: (string | null)[]
}

export class SiteHost {
  readonly definition: SiteDefinition
  readonly controlSocketPath: string
  readonly startedAt = new Date().toISOString()
  #options: SiteHostOptions
  #log: Logger
  #router: Router
  #hostnames: Record<ListenerId, (string | null)[]> = {}
  #pools = new Map<string, AppPool>()
  /** Hosted programs of the site's pools, next to each pool's static worker. */
  #programs: SitePrograms
  #servers: Server[] = []
  #control: ControlServer
  #internalSocketPath: string
  #isShuttingDown = false
  /** While true, events are kept and replayed to each later subscriber. */
  #isStarting = true
  /** Settles when shutdown finished; the main module exits then. */
  #onExit: (record: SiteExitRecord) => void = () => {}

  constructor(options: SiteHostOptions) {
    this.#options = options
    this.definition = options.definition
    this.#log = options.logger
    this.#router = new Router(options.definition)
    this.controlSocketPath = controlSocketPath(options.stateDir, options.definition.name)
    this.#internalSocketPath = internalSocketPath(options.stateDir, options.definition.name)
    this.#control = new ControlServer((request) => this.#handleControl(request))
    const listeners = groupListeners(options.definition)
    for (const l of listeners) this.#hostnames[l.id] = l.hostnames
    this.#programs = new SitePrograms({
      definition: options.definition,
      hostnames: this.#hostnames,
      internalSocketPath: this.#internalSocketPath,
      stdoutFd: options.stdoutFd,
      stderrFd: options.stderrFd,
      onEvent: (event) => this.#onPoolEvent(event),
    })
    for (const def of options.definition.pools) {
      this.#pools.set(
        def.key,
        new AppPool({
          definition: def,
          workerConfig: {
            site: options.definition,
            listeners: this.#hostnames,
            internalSocketPath: this.#internalSocketPath,
          },
          stdoutFd: options.stdoutFd,
          stderrFd: options.stderrFd,
          onEvent: (event) => this.#onPoolEvent(event),
          hasStaticApplications: () => this.#programs.hasStaticApplications(def.key),
        }),
      )
    }
  }

  /** Called once with the exit record when the site host has shut down. */
  onExit(callback: (record: SiteExitRecord) => void): void {
    this.#onExit = callback
  }

  /**
   * Listens on every binding, starts the pools and writes the registry entry.
   * On failure everything it opened is closed again before it throws.
   */
  async start(): Promise<void> {
    try {
      await this.#listenAll()
      await this.#control.listen(this.controlSocketPath)
      await this.#programs.prepare()
      for (const pool of this.#pools.values()) await this.#startPool(pool, false)
      await removeExitRecord(this.#options.stateDir, this.definition.name)
      await writeRegistryEntry(this.#options.stateDir, {
        definition: this.definition,
        pid: process.pid,
        controlSocketPath: this.controlSocketPath,
        startedAt: this.startedAt,
      })
    } catch (err) {
      await this.#closeEverything()
      throw err
    }
    this.#isStarting = false
    this.#log.info({ controlSocketPath: this.controlSocketPath }, 'site host started')
  }

  status(): SiteStatus {
    return {
      name: this.definition.name,
      pid: process.pid,
      startedAt: this.startedAt,
      controlSocketPath: this.controlSocketPath,
      definition: this.definition,
      pools: [...this.#pools.values()].map((p) => {
        const status = p.status()
        const key = status.key
        const workers = [...status.workers, ...this.#programs.workers(key)]
        return { ...status, workers, lastError: this.#programs.lastError(key) ?? status.lastError }
      }),
    }
  }

  /** Stops intake, stops the pools (draining up to `timeoutMs`), records the exit. */
  async shutdown(timeoutMs: number, error = ''): Promise<SiteExitRecord> {
    const record: SiteExitRecord = {
      exitCode: error === '' ? 0 : 1,
      error,
      at: new Date().toISOString(),
    }
    if (this.#isShuttingDown) return record
    this.#isShuttingDown = true
    this.#broadcast({
      kind: 'siteExiting',
      pool: null,
      message: 'site host is exiting',
      details: {},
    })
    this.#log.info({ timeoutMs, error }, 'site host stopping')
    for (const server of this.#servers) server.close()
    await Promise.all(
      [...this.#pools.values()].flatMap((p) => [
        p.stop(timeoutMs),
        this.#programs.stop(p.definition.key, timeoutMs),
      ]),
    )
    await this.#closeEverything()
    await writeExitRecord(this.#options.stateDir, this.definition.name, record)
    this.#onExit(record)
    return record
  }

  async #handleControl(request: ControlRequest): Promise<unknown> {
    switch (request.op) {
      case 'ping':
        return 'pong'
      case 'status':
        return this.status()
      case 'subscribe':
        return null
      case 'startPool':
        await Promise.all(this.#selectPools(request.pool).map((p) => this.#startPool(p, true)))
        return null
      case 'stopPool':
        await Promise.all(
          this.#selectPools(request.pool).flatMap((p) => [
            p.stop(),
            this.#programs.stop(p.definition.key),
          ]),
        )
        return null
      case 'recyclePool':
        await Promise.all(
          this.#selectPools(request.pool).flatMap((p) => [
            p.recycle(),
            this.#programs.recycle(p.definition.key),
          ]),
        )
        return null
      case 'shutdown':
        return this.shutdown(request.timeoutMs)
    }
  }

  /**
   * Starts a pool's static worker side and its hosted programs. A pool whose
   * web.config is bad does not start: at site start the reason goes to the
   * events and the status and the other pools start; asked by the control
   * socket, it is the reply's error.
   */
  async #startPool(pool: AppPool, shouldThrow: boolean): Promise<void> {
    const key = pool.definition.key
    const error = this.#programs.poolError(key)
    if (error !== null) {
      this.#onPoolEvent({ kind: 'poolStopped', pool: key, message: error.message, details: {} })
      if (shouldThrow) throw error
      return
    }
    await pool.start()
    await this.#programs.start(key)
  }

  #selectPools(key: string | undefined): AppPool[] {
    if (key === undefined) return [...this.#pools.values()]
    const pool = this.#pools.get(key)
    if (pool === undefined) throw unknownPool(key)
    return [pool]
  }

  async #listenAll(): Promise<void> {
    for (const spec of groupListeners(this.definition)) {
      this.#servers.push(await this.#listen(spec))
    }
    mkdirSync(dirname(this.#internalSocketPath), { recursive: true })
    rmSync(this.#internalSocketPath, { force: true })
    rmSync(this.controlSocketPath, { force: true })
    const internal = createServer((socket) =>
      takeConnection(socket, INTERNAL_LISTENER, this.#intake()),
    )
    await listenOn(internal, { path: this.#internalSocketPath })
    this.#servers.push(internal)
  }

  async #listen(spec: ListenerSpec): Promise<Server> {
    const server = createServer({ noDelay: true }, (socket) =>
      takeConnection(socket, spec.id, this.#intake()),
    )
    const address = spec.address ?? '::'
    try {
      await listenOn(server, { port: spec.port, host: address, ipv6Only: false })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw portInUse(address, spec.port, err)
      throw listenFailed(address, spec.port, err)
    }
    this.#log.info({ address, port: spec.port }, 'listener up')
    return server
  }

  #intake(): IntakeTarget {
    return {
      router: this.#router,
      hostnames: this.#hostnames,
      dispatch: (pool, socket, listener, head, path) => {
        if (this.#programs.isHostedPath(path)) this.#programs.take(socket, listener, head)
        else this.#pools.get(pool)?.dispatch(socket, listener, head)
      },
    }
  }

  async #closeEverything(): Promise<void> {
    for (const pool of this.#pools.values()) pool.destroy()
    await this.#programs.destroy()
    // Not awaited: a server whose sockets were sent to a worker counts them
    // until that worker reports them closed, which a killed worker never does.
    for (const server of this.#servers) server.close()
    await this.#control.close()
    rmSync(this.controlSocketPath, { force: true })
    rmSync(this.#internalSocketPath, { force: true })
    await removeRegistryEntry(this.#options.stateDir, this.definition.name)
  }

  #onPoolEvent(event: PoolEvent): void {
    const level =
      event.kind === 'workerCrashed' || event.kind === 'rapidFailProtection' ? 'warn' : 'info'
    // Under `event`: a worker's `pid` must not shadow the site host's own.
    this.#log[level]({ pool: event.pool, event: event.details }, event.message)
    this.#broadcast(event)
    // Rapid-fail protection ends the site host with an error, so that the task
    // fails and Nomad's restart policy takes over; a pool stopped on purpose does not.
    if (event.kind === 'rapidFailProtection') {
      const pool = this.#pools.get(event.pool)?.definition
      void this.shutdown(pool?.shutdownTimeLimitMs ?? 10_000, event.message)
    }
  }

  #broadcast(event: Omit<PoolEvent, 'pool'> & { pool: string | null }): void {
    const siteEvent: SiteEvent = {
      event: event.kind,
      site: this.definition.name,
      pool: event.pool,
      message: event.message,
      at: new Date().toISOString(),
      details: event.details,
    }
    this.#control.broadcast(siteEvent)
    if (this.#isStarting) this.#control.keepForReplay(siteEvent)
  }
}

/** One listener per address and port; several bindings may share it with different hostnames. */
function groupListeners(def: SiteDefinition): ListenerSpec[] {
  const byId = new Map<ListenerId, ListenerSpec>()
  for (const binding of def.bindings) {
    const id = `${binding.ipAddress ?? '*'}:${binding.port}`
    let spec = byId.get(id)
    if (spec === undefined) {
      spec = { id, address: binding.ipAddress, port: binding.port, hostnames: [] }
      byId.set(id, spec)
    }
    spec.hostnames.push(binding.hostname === null ? null : binding.hostname.toLowerCase())
  }
  return [...byId.values()]
}

function listenOn(
  server: Server,
  options: { port?: number; host?: string; path?: string; ipv6Only?: boolean },
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options, () => {
      server.removeListener('error', reject)
      resolve()
    })
  })
}
