/**
 * One hosted application inside a pool: its program's runs (the worker
 * processes IIS would show for it), the requests waiting while one starts,
 * the idle timeout, app_offline.htm, recycling and the preload warm-up.
 * Pool-wide decisions (rapid-fail protection, periodic restart, the stopped
 * pool's answer) belong to the pool, which this class reports to.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { StdioOptions } from 'node:child_process'
import type { Duplex } from 'node:stream'
import { AppOfflineWatcher } from './app-offline-watcher.js'
import { HostedError, isHostedError } from './errors.js'
import { IdleTimer } from './idle-timer.js'
import { sendProblem, sendUnavailable } from './problem-page.js'
import { PROGRAM_HOST, ProgramProcess } from './program-process.js'
import type { ProgramExit } from './program-process.js'
import type { ProgramProxy, ProxyTarget } from './proxy.js'
import { RequestQueue } from './request-queue.js'
import { sendWarmUp } from './warm-up.js'
import type { WorkerStatus, SiteEventKind } from '../control-protocol.js'
import type {
  ApplicationDefinition,
  HostedProgramDefinition,
  PoolDefinition,
} from '../site-definition.js'

/** An AlwaysRunning program that failed to start is tried again after this long. */
const RETRY_DELAY_MS = 1000

/** Something that happened to the application's programs, in the site's event vocabulary. */
export interface HostedEvent {
  kind: SiteEventKind
  message: string
  details: Record<string, string>
}

export interface HostedApplicationOptions {
  application: ApplicationDefinition & { program: HostedProgramDefinition }
  pool: PoolDefinition
  proxy: ProgramProxy
  /** Where programs write their output; default inherited. */
  stdio?: StdioOptions
  onEvent?: (event: HostedEvent) => void
  /** A run crashed or failed to start: the pool counts it for rapid-fail protection. */
  onFailure?: (reason: string) => void
}

/** One start of the program, with its requests in flight. */
interface Run {
  program: ProgramProcess
  /** Where the proxy sends requests; set once the program is ready. */
  target: ProxyTarget
  inFlight: number
  /** True once it takes no new requests and stops when the last one is done. */
  isDraining: boolean
}

/**
 * Serves one application through its program.
 *
 * @example
 * const app = new HostedApplication({ application, pool, proxy })
 * await app.open()
 * server.on('request', (req, res) => app.handle(req, res))
 */
export class HostedApplication {
  readonly application: ApplicationDefinition & { program: HostedProgramDefinition }
  readonly pool: PoolDefinition
  #options: HostedApplicationOptions
  #queue: RequestQueue
  #idle: IdleTimer
  #offline: AppOfflineWatcher
  /** The run taking new requests; set once it is ready, cleared on exit, idle, offline, stop. */
  #current: Run | null = null
  #starting: Promise<Run> | null = null
  /** Every run with a live process, the current one included. */
  #runs = new Set<Run>()
  #isOpen = false

  constructor(options: HostedApplicationOptions) {
    this.application = options.application
    this.pool = options.pool
    this.#options = options
    this.#queue = new RequestQueue({ limit: options.pool.queueLength })
    this.#idle = new IdleTimer({
      timeoutMs: options.pool.startMode === 'OnDemand' ? options.pool.idleTimeoutMs : 0,
      onIdle: () => void this.#stopIdle(),
    })
    this.#offline = new AppOfflineWatcher(options.application.physicalPath)
    this.#offline.on('offline', () => void this.#goOffline())
    this.#offline.on('online', () => this.#goOnline())
  }

  /** Requests waiting for a program to be ready. */
  get queuedRequests(): number {
    return this.#queue.length
  }

  get isOffline(): boolean {
    return this.#offline.isOffline
  }

  /** The processes running for this application, for status, procdump and stats. */
  workers(): WorkerStatus[] {
    const workers: WorkerStatus[] = []
    for (const { program } of this.#runs) {
      if (program.pid === null || program.state === 'exited') continue
      workers.push({
        pid: program.pid,
        kind: 'program',
        application: this.application.alias,
        startedAt: (program.startedAt ?? new Date()).toISOString(),
      })
    }
    return workers
  }

  /** The pool started: watch app_offline.htm, and start the program at once if AlwaysRunning. */
  async open(): Promise<void> {
    if (this.#isOpen) return
    this.#isOpen = true
    await this.#offline.start()
    await this.#keepRunning()
  }

  /** The pool stops: waiting requests get 503, every run stops within timeoutMs. */
  async close(timeoutMs = this.pool.shutdownTimeLimitMs): Promise<void> {
    this.#isOpen = false
    await this.#offline.close()
    this.#idle.disarm()
    this.#queue.rejectAll(new HostedError('ERR_HOSTED_CLOSED', 'application pool stopped'))
    // A run still starting is in #runs too: stopping it ends its start at once.
    const stopping = Promise.all([...this.#runs].map((run) => this.#stopRun(run, timeoutMs)))
    await this.#starting?.catch(() => null)
    this.#current = null
    await stopping
  }

  /** Kills every run at once. */
  async destroy(): Promise<void> {
    this.#isOpen = false
    await this.#offline.close()
    this.#idle.disarm()
    this.#queue.rejectAll(new HostedError('ERR_HOSTED_CLOSED', 'application pool destroyed'))
    this.#current = null
    await Promise.all([...this.#runs].map((run) => run.program.destroy()))
  }

  /**
   * Overlapped recycle: a new run is ready before the old one takes no more
   * requests; the old one stops once its requests are done. With
   * disableOverlappedRecycle the old run stops first and requests wait.
   */
  async recycle(): Promise<void> {
    const old = this.#current
    if (!this.#isOpen || old === null) return
    if (this.pool.disableOverlappedRecycle) {
      this.#current = null
      this.#idle.disarm()
      await this.#stopRun(old, this.pool.shutdownTimeLimitMs)
      await this.#ensureRun()
      return
    }
    const next = await this.#startRun()
    this.#current = next
    this.#retire(old)
  }

  /** Serves a request: the offline page, the program's answer, or 503 when it cannot. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const run = this.#current
    // The hot path: a ready program, nothing in the way, no promise per request.
    if (run !== null && this.#isOpen && this.#offline.content === null) {
      this.#forward(run, req, res)
      return
    }
    void this.#handleSlowly(req, res)
  }

  /** Tunnels an upgrade (WebSocket) to the running program, starting it when needed. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    void this.#upgrade(req, socket, head)
  }

  async #handleSlowly(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const run = await this.#runFor(req, res)
    if (run !== null) this.#forward(run, req, res)
  }

  #forward(run: Run, req: IncomingMessage, res: ServerResponse): void {
    this.#begin(run)
    this.#options.proxy.forward(req, res, run.target, () => this.#end(run))
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const run = await this.#runFor(req, null)
    if (run === null) {
      socket.end(
        'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
      )
      return
    }
    this.#begin(run)
    socket.once('close', () => this.#end(run))
    this.#options.proxy.upgrade(req, socket, head, run.target)
  }

  /** Waits for a ready run; answers the request itself (and returns null) when there is none. */
  async #runFor(req: IncomingMessage, res: ServerResponse | null): Promise<Run | null> {
    for (;;) {
      const offline = this.#offline.content
      if (!this.#isOpen || offline !== null) {
        if (res !== null) sendUnavailable(req, res, offline)
        return null
      }
      if (this.#current !== null) return this.#current
      const failure = await this.#waitInQueue(res)
      if (failure !== null) {
        if (res !== null && !isHostedError(failure, 'ERR_HOSTED_CLOSED')) {
          sendProblem(req, res, 503, failure.message)
        } else if (res !== null && !res.destroyed) sendUnavailable(req, res, null)
        return null
      }
    }
  }

  async #waitInQueue(res: ServerResponse | null): Promise<Error | null> {
    const gone = new AbortController()
    const onClose = (): void => gone.abort()
    res?.once('close', onClose)
    const waiting = this.#queue.wait(gone.signal)
    this.#ensureRun().catch(() => {})
    try {
      await waiting
      return null
    } catch (err) {
      return err as Error
    } finally {
      res?.removeListener('close', onClose)
    }
  }

  /** The current run, starting one (once, however many ask) when there is none. */
  #ensureRun(): Promise<Run> {
    if (this.#current !== null) return Promise.resolve(this.#current)
    if (this.#starting !== null) return this.#starting
    this.#starting = this.#startRun()
      .then((run) => {
        this.#current = run
        this.#queue.releaseAll()
        return run
      })
      .catch((err: Error) => {
        this.#queue.rejectAll(err)
        throw err
      })
      .finally(() => {
        this.#starting = null
      })
    return this.#starting
  }

  async #startRun(): Promise<Run> {
    const { application, pool } = this
    const program = new ProgramProcess({
      program: application.program,
      env: pool.env,
      startTimeLimitMs: pool.startTimeLimitMs,
      shutdownTimeLimitMs: pool.shutdownTimeLimitMs,
      applicationAlias: application.alias,
      stdio: this.#options.stdio,
    })
    const target = { host: PROGRAM_HOST, port: 0, pairingToken: program.pairingToken }
    const run: Run = { program, target, inFlight: 0, isDraining: false }
    this.#runs.add(run)
    program.on('exit', (exit) => this.#onExit(run, exit))
    try {
      await program.start()
    } catch (err) {
      if (!isHostedError(err, 'ERR_HOSTED_CLOSED')) this.#fail('failed to start', err as Error)
      throw err
    }
    target.port = program.port
    this.#emit('workerStarted', 'hosted program started', { pid: String(program.pid) })
    this.#idle.arm()
    if (application.enablePreload && pool.startMode === 'AlwaysRunning') {
      sendWarmUp(target, application.alias, (result) => {
        const details: Record<string, string> =
          'status' in result ? { status: String(result.status) } : { error: result.error.message }
        const outcome = 'status' in result ? 'answered' : 'failed'
        this.#emit('warning', `preload warm-up request ${outcome}`, details)
      })
    }
    if (!this.#isOpen || this.isOffline) {
      await program.stop()
      throw new HostedError('ERR_HOSTED_CLOSED', 'application went offline while starting')
    }
    return run
  }

  #onExit(run: Run, exit: ProgramExit): void {
    this.#runs.delete(run)
    const details = { pid: String(exit.pid), code: String(exit.code), signal: String(exit.signal) }
    const wasCurrent = this.#current === run
    if (wasCurrent) {
      this.#current = null
      this.#idle.disarm()
    }
    if (exit.isExpected || !wasCurrent) {
      this.#emit('workerExited', 'hosted program exited', details)
      return
    }
    this.#fail('exited unexpectedly', null, details)
    void this.#keepRunning()
  }

  /**
   * AlwaysRunning: start the program, and after a failed start try again a
   * little later (rapid-fail protection ends this by stopping the pool). A
   * failed start does not fail the pool's start: IIS starts the pool too.
   */
  async #keepRunning(): Promise<void> {
    const isWanted = (): boolean =>
      this.#isOpen && this.pool.startMode === 'AlwaysRunning' && !this.isOffline
    if (!isWanted()) return
    try {
      await this.#ensureRun()
    } catch {
      const timer = setTimeout(() => void (isWanted() && this.#keepRunning()), RETRY_DELAY_MS)
      timer.unref()
    }
  }

  /** Reports a crash or failed start: an event for people, a failure for the pool. */
  #fail(what: string, err: Error | null, details: Record<string, string> = {}): void {
    const reason = `program ${this.application.program.command} of ${this.application.alias} ${what}`
    const message = err === null ? reason : `${reason}: ${err.message}`
    this.#emit('workerCrashed', message, details)
    this.#options.onFailure?.(message)
  }

  #begin(run: Run): void {
    run.inFlight++
    this.#idle.begin()
  }

  #end(run: Run): void {
    run.inFlight--
    this.#idle.end()
    if (run.isDraining && run.inFlight === 0) void run.program.stop()
  }

  /** The old run of an overlapped recycle stops when idle, and at the latest after the limit. */
  #retire(run: Run): void {
    run.isDraining = true
    if (run.inFlight === 0) {
      void run.program.stop()
      return
    }
    const timer = setTimeout(() => void run.program.stop(), this.pool.shutdownTimeLimitMs)
    timer.unref()
    run.program.once('exit', () => clearTimeout(timer))
  }

  async #stopRun(run: Run, timeoutMs: number): Promise<void> {
    if (this.#current === run) this.#current = null
    run.isDraining = true
    const stopping = run.program.stop()
    // stop() escalates after the pool's limit; a pool stop may ask for a shorter one.
    const timer = setTimeout(() => void run.program.destroy(), timeoutMs)
    await stopping
    clearTimeout(timer)
  }

  async #stopIdle(): Promise<void> {
    const run = this.#current
    if (run === null || run.inFlight > 0 || this.#queue.length > 0) return
    this.#current = null
    this.#emit('warning', 'hosted program stopped after its idle timeout', {
      pid: String(run.program.pid),
    })
    await this.#stopRun(run, this.pool.shutdownTimeLimitMs)
  }

  async #goOffline(): Promise<void> {
    this.#emit('warning', 'app_offline.htm found: application offline, program stopped', {})
    this.#queue.releaseAll()
    await this.#starting?.catch(() => null)
    const runs = [...this.#runs]
    this.#current = null
    this.#idle.disarm()
    await Promise.all(runs.map((run) => this.#stopRun(run, this.pool.shutdownTimeLimitMs)))
  }

  #goOnline(): void {
    this.#emit('warning', 'app_offline.htm removed: application online again', {})
    void this.#keepRunning()
  }

  #emit(kind: SiteEventKind, message: string, details: Record<string, string>): void {
    this.#options.onEvent?.({
      kind,
      message,
      details: { application: this.application.alias, ...details },
    })
  }
}
