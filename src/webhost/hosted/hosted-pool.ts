/**
 * An application pool whose applications are hosted programs: the pool-wide
 * part of IIS's behaviour around them. It keeps the pool's state, answers
 * for a stopped pool (503 or a dropped connection), counts failures for
 * rapid-fail protection and recycles periodically; each application's
 * programs are run by a HostedApplication.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { StdioOptions } from 'node:child_process'
import type { Duplex } from 'node:stream'
import { HostedApplication } from './hosted-application.js'
import type { HostedEvent } from './hosted-application.js'
import { PeriodicRestartTimer } from './periodic-restart-timer.js'
import { sendProblem } from './problem-page.js'
import { ProgramProxy } from './proxy.js'
import { RapidFailCounter } from './rapid-fail-counter.js'
import type { PoolStatus } from '../control-protocol.js'
import type {
  ApplicationDefinition,
  HostedProgramDefinition,
  PoolDefinition,
  PoolState,
} from '../site-definition.js'

export type HostedApplicationDefinition = ApplicationDefinition & {
  program: HostedProgramDefinition
}

/** A pool event, in the site's event vocabulary. */
export interface HostedPoolEvent extends HostedEvent {
  pool: string
}

export interface HostedPoolOptions {
  definition: PoolDefinition
  applications: HostedApplicationDefinition[]
  /** Shared by the site's pools; one is made when absent. */
  proxy?: ProgramProxy
  stdio?: StdioOptions
  onEvent?: (event: HostedPoolEvent) => void
}

/**
 * The pool's state machine around its hosted applications.
 *
 * @example
 * const pool = new HostedPool({ definition, applications })
 * await pool.start()
 * server.on('request', (req, res) => pool.handle(req, res, '/'))
 */
export class HostedPool {
  readonly definition: PoolDefinition
  #options: HostedPoolOptions
  #proxy: ProgramProxy
  #applications = new Map<string, HostedApplication>()
  #rapidFail: RapidFailCounter
  #periodic: PeriodicRestartTimer
  /** Written by start, stop and the rapid-fail trip only. */
  #state: PoolState = 'Stopped'
  #lastError: string | null = null
  #isStoppedByFailure = false

  constructor(options: HostedPoolOptions) {
    this.definition = options.definition
    this.#options = options
    this.#proxy = options.proxy ?? new ProgramProxy()
    const rfp = options.definition.rapidFailProtection
    this.#rapidFail = new RapidFailCounter({
      maxCrashes: rfp.maxCrashes,
      intervalMs: rfp.intervalMs,
    })
    this.#periodic = new PeriodicRestartTimer({
      intervalMs: options.definition.periodicRestartMs,
      onRestart: () => void this.#periodicRecycle(),
    })
    for (const application of options.applications) {
      const hosted = new HostedApplication({
        application,
        pool: options.definition,
        proxy: this.#proxy,
        stdio: options.stdio,
        onEvent: (event) => this.#emit(event),
        onFailure: (reason) => this.#onFailure(reason),
      })
      this.#applications.set(application.alias, hosted)
    }
  }

  get state(): PoolState {
    return this.#state
  }

  /** True when rapid-fail protection stopped the pool: the task should fail. */
  get isStoppedByFailure(): boolean {
    return this.#isStoppedByFailure
  }

  status(): PoolStatus {
    return {
      key: this.definition.key,
      name: this.definition.name,
      state: this.#state,
      workers: [...this.#applications.values()].flatMap((app) => app.workers()),
      lastError: this.#lastError,
    }
  }

  /** Starts the pool; AlwaysRunning programs are ready when it resolves. */
  async start(): Promise<void> {
    if (this.#state === 'Started' || this.#state === 'Starting') return
    this.#state = 'Starting'
    this.#lastError = null
    this.#isStoppedByFailure = false
    this.#rapidFail.reset()
    try {
      await Promise.all([...this.#applications.values()].map((app) => app.open()))
    } catch (err) {
      this.#lastError = (err as Error).message
      await this.#closeApplications(this.definition.shutdownTimeLimitMs)
      this.#state = 'Stopped'
      throw err
    }
    // Rapid-fail protection may have stopped the pool while its programs started.
    if (this.#state !== 'Starting') return
    this.#state = 'Started'
    this.#periodic.start()
    this.#emit({ kind: 'poolStarted', message: 'application pool started', details: {} })
  }

  /** Stops the pool on purpose; resolves once every program exited. */
  async stop(timeoutMs = this.definition.shutdownTimeLimitMs): Promise<void> {
    if (this.#state === 'Stopped' || this.#state === 'Stopping') return
    this.#state = 'Stopping'
    this.#periodic.stop()
    await this.#closeApplications(timeoutMs)
    this.#state = 'Stopped'
    this.#emit({ kind: 'poolStopped', message: 'application pool stopped', details: {} })
  }

  /** Recycles every application's program (overlapped unless disabled). */
  async recycle(): Promise<void> {
    if (this.#state !== 'Started') return
    await Promise.all([...this.#applications.values()].map((app) => app.recycle()))
    this.#periodic.start()
    this.#emit({ kind: 'poolRecycled', message: 'application pool recycled', details: {} })
  }

  async destroy(): Promise<void> {
    this.#periodic.stop()
    this.#state = 'Stopped'
    await Promise.all([...this.#applications.values()].map((app) => app.destroy()))
    await this.#proxy.destroy()
  }

  /** The application with this alias, or undefined. */
  application(alias: string): HostedApplication | undefined {
    return this.#applications.get(alias)
  }

  /** Serves a request routed to the application with this alias. */
  handle(req: IncomingMessage, res: ServerResponse, alias: string): void {
    const app = this.#applications.get(alias)
    if (this.#state !== 'Started' || app === undefined) {
      this.#refuse(req, res)
      return
    }
    app.handle(req, res)
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, alias: string): void {
    const app = this.#applications.get(alias)
    if (this.#state !== 'Started' || app === undefined) {
      socket.destroy()
      return
    }
    app.upgrade(req, socket, head)
  }

  /** A stopped pool answers 503 (HttpLevel, the default) or drops the connection (TcpLevel). */
  #refuse(req: IncomingMessage, res: ServerResponse): void {
    if (this.definition.serviceUnavailableResponse === 'TcpLevel') {
      req.socket.destroy()
      return
    }
    sendProblem(
      req,
      res,
      503,
      `application pool ${this.definition.key} is ${this.#state.toLowerCase()}`,
    )
  }

  async #closeApplications(timeoutMs: number): Promise<void> {
    await Promise.all([...this.#applications.values()].map((app) => app.close(timeoutMs)))
  }

  /** Rapid-fail protection: too many failures within the interval stop the pool. */
  #onFailure(reason: string): void {
    const rfp = this.definition.rapidFailProtection
    const isRunning = this.#state === 'Started' || this.#state === 'Starting'
    if (!rfp.isEnabled || !isRunning) return
    if (!this.#rapidFail.recordCrash()) return
    this.#lastError =
      `rapid-fail protection: ${rfp.maxCrashes} failures within ${rfp.intervalMs} ms; ` +
      `last: ${reason}`
    this.#isStoppedByFailure = true
    this.#emit({ kind: 'rapidFailProtection', message: this.#lastError, details: { reason } })
    void this.stop()
  }

  async #periodicRecycle(): Promise<void> {
    try {
      await this.recycle()
    } catch (err) {
      this.#emit({
        kind: 'warning',
        message: 'periodic restart failed',
        details: { error: (err as Error).message },
      })
      this.#periodic.start()
    }
  }

  #emit(event: HostedEvent): void {
    this.#options.onEvent?.({ ...event, pool: this.definition.key })
  }
}
