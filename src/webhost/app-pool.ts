/**
 * An application pool: its state machine, its request queue, its worker
 * processes, recycling and rapid-fail protection. Publishes
 * `nomad-iis:app-pool:<event>` on diagnostics_channel for every SiteEvent it
 * raises, and passes the same event to its owner.
 *
 * @module
 */
import { channel } from 'node:diagnostics_channel'
import { poolStopped } from './errors.js'
import { writeRawResponse } from './raw-response.js'
import { WorkerProcess } from './worker-process.js'
import type { Socket } from 'node:net'
import type { PoolStatus, SiteEventKind } from './control-protocol.js'
import type { PoolDefinition, PoolState } from './site-definition.js'
import type { ListenerId, WorkerConfig } from './site-host-messages.js'

export interface PoolEvent {
  kind: SiteEventKind
  pool: string
  message: string
  details: Record<string, string>
}

export interface AppPoolOptions {
  definition: PoolDefinition
  /** Worker configuration without the pool-specific fields. */
  workerConfig: Omit<WorkerConfig, 'pool' | 'idleTimeoutMs'>
  stdoutFd: number | null
  stderrFd: number | null
  onEvent: (event: PoolEvent) => void
  /**
   * False when every application of the pool is a hosted program: an
   * AlwaysRunning pool then starts no static worker. Asked at each start.
   */
  hasStaticApplications?: () => boolean
}

interface QueuedConnection {
  socket: Socket
  listener: ListenerId
  head: Buffer
}

export class AppPool {
  readonly definition: PoolDefinition
  #options: AppPoolOptions
  /** Worker processes per pool: IIS's processModel.maxProcesses (a web garden when above 1). */
  #maxProcesses: number
  /** Mutated by start/stop/rapid-fail only. */
  #state: PoolState = 'Stopped'
  #lastError: string | null = null
  /** Workers taking new connections, round-robin; empty when none runs (OnDemand, crashed, stopped). */
  #workers: WorkerProcess[] = []
  #nextWorker = 0
  /** Settles when a fill-up to maxProcesses has finished; null when none runs. */
  #starting: Promise<void> | null = null
  /** Workers finishing what they have after a recycle. */
  #draining = new Set<WorkerProcess>()
  #queue: QueuedConnection[] = []
  #crashTimesMs: number[] = []
  #periodicTimer: NodeJS.Timeout | null = null

  constructor(options: AppPoolOptions) {
    this.definition = options.definition
    this.#options = options
    this.#maxProcesses = Math.max(1, Math.floor(options.definition.maxProcesses ?? 1))
  }

  get state(): PoolState {
    return this.#state
  }

  status(): PoolStatus {
    return {
      key: this.definition.key,
      name: this.definition.name,
      state: this.#state,
      workers: [...this.#workers, ...this.#draining].map((w) => ({
        pid: w.pid,
        kind: 'static',
        application: null,
        startedAt: w.startedAt,
      })),
      lastError: this.#lastError,
    }
  }

  /** Starts the pool; AlwaysRunning pools resolve once their workers are ready. */
  async start(): Promise<void> {
    if (this.#state === 'Started' || this.#state === 'Starting') return
    this.#state = 'Starting'
    this.#lastError = null
    this.#crashTimesMs = []
    const hasStatic = this.#options.hasStaticApplications?.() ?? true
    if (this.definition.startMode === 'AlwaysRunning' && hasStatic) {
      try {
        await this.#ensureWorkers()
      } catch (err) {
        this.#state = 'Stopped'
        this.#lastError = (err as Error).message
        throw err
      }
    }
    this.#state = 'Started'
    this.#schedulePeriodicRestart()
    this.#emit('poolStarted', 'application pool started')
  }

  /** Stops the pool; resolves once every worker exited (killed after the shutdown time limit). */
  async stop(timeoutMs = this.definition.shutdownTimeLimitMs): Promise<void> {
    if (this.#state === 'Stopped') return
    this.#state = 'Stopping'
    this.#clearPeriodicRestart()
    for (const queued of this.#queue.splice(0)) this.#refuse(queued.socket)
    if (this.#starting !== null) await this.#starting.catch(() => null)
    const workers = [...this.#workers, ...this.#draining]
    this.#workers = []
    await Promise.all(workers.map((w) => w.stop(timeoutMs)))
    this.#state = 'Stopped'
    this.#emit('poolStopped', 'application pool stopped')
  }

  /**
   * Recycles the pool. Overlapped (the default): new workers are ready before
   * the old ones stop taking connections, and the old ones finish what they
   * have. With disableOverlappedRecycle the old workers stop first.
   */
  async recycle(): Promise<void> {
    if (this.#state !== 'Started') throw poolStopped(this.definition.key)
    const old = this.#workers
    if (old.length === 0) {
      this.#emit('poolRecycled', 'application pool recycled (no worker was running)')
      return
    }
    if (this.definition.disableOverlappedRecycle) {
      this.#workers = []
      await Promise.all(old.map((w) => w.stop(this.definition.shutdownTimeLimitMs)))
      await this.#ensureWorkers()
    } else {
      this.#workers = await this.#spawnMany(this.#maxProcesses)
      this.#flushQueue()
      for (const worker of old) {
        this.#draining.add(worker)
        void worker
          .drain(this.definition.shutdownTimeLimitMs)
          .then(() => this.#draining.delete(worker))
      }
    }
    this.#emit('poolRecycled', 'application pool recycled', {
      oldPids: old.map((w) => w.pid).join(','),
    })
  }

  /** Takes a connection the site host routed here (with the bytes it already read). */
  dispatch(socket: Socket, listener: ListenerId, head: Buffer): void {
    if (this.#state !== 'Started') {
      this.#refuse(socket)
      return
    }
    if (this.#workers.length < this.#maxProcesses)
      this.#ensureWorkers().catch(() => this.#refuseQueued())
    const worker = this.#pickWorker()
    if (worker !== null && this.#queue.length === 0) {
      this.#handOver(worker, { socket, listener, head })
      return
    }
    // HTTP.sys answers 503 when the pool's queue is full (queueLength).
    if (this.#queue.length >= this.definition.queueLength) {
      writeRawResponse(socket, 503, 'Service Unavailable')
      return
    }
    this.#queue.push({ socket, listener, head })
  }

  /** Kills every worker at once, for a site host that must exit now. */
  destroy(): void {
    this.#clearPeriodicRestart()
    for (const worker of [...this.#workers, ...this.#draining]) worker.kill()
    this.#state = 'Stopped'
  }

  #pickWorker(): WorkerProcess | null {
    const count = this.#workers.length
    if (count === 0) return null
    this.#nextWorker = (this.#nextWorker + 1) % count
    return this.#workers[this.#nextWorker] ?? null
  }

  #handOver(worker: WorkerProcess, queued: QueuedConnection): void {
    void worker.handOver(queued.socket, queued.listener, queued.head).then((isTaken) => {
      if (isTaken) return
      // The worker went away between routing and hand-over: route again to the others or a successor.
      this.#remove(worker)
      this.dispatch(queued.socket, queued.listener, queued.head)
    })
  }

  #flushQueue(): void {
    for (const queued of this.#queue.splice(0)) {
      const worker = this.#pickWorker()
      if (worker === null) {
        this.#queue.push(queued)
        return
      }
      this.#handOver(worker, queued)
    }
  }

  #refuseQueued(): void {
    if (this.#workers.length > 0) return
    for (const queued of this.#queue.splice(0)) {
      writeRawResponse(queued.socket, 503, 'Service Unavailable')
    }
  }

  /** A stopped pool answers 503 (HttpLevel) or drops the connection (TcpLevel). */
  #refuse(socket: Socket): void {
    if (this.definition.serviceUnavailableResponse === 'TcpLevel') socket.destroy()
    else writeRawResponse(socket, 503, 'Service Unavailable')
  }

  /**
   * Fills the pool up to maxProcesses workers (once, however many ask); each
   * worker serves as soon as it is ready. Rejects when none could start.
   */
  #ensureWorkers(): Promise<void> {
    const missing = this.#maxProcesses - this.#workers.length
    if (missing <= 0) return Promise.resolve()
    if (this.#starting !== null) return this.#starting
    const starts = Array.from({ length: missing }, () =>
      this.#spawnReady().then((worker) => {
        if (this.#state === 'Stopping' || this.#state === 'Stopped') {
          void worker.stop(this.definition.shutdownTimeLimitMs)
          return
        }
        this.#workers.push(worker)
        this.#flushQueue()
      }),
    )
    this.#starting = Promise.allSettled(starts)
      .then((results) => {
        const failure = results.find((r) => r.status === 'rejected')
        if (this.#workers.length === 0 && failure !== undefined) throw failure.reason
      })
      .finally(() => {
        this.#starting = null
      })
    return this.#starting
  }

  /** Starts `count` workers and waits for all; kills the started ones if any fails. */
  async #spawnMany(count: number): Promise<WorkerProcess[]> {
    const results = await Promise.allSettled(
      Array.from({ length: count }, () => this.#spawnReady()),
    )
    const failure = results.find((r) => r.status === 'rejected')
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    if (failure === undefined) return started
    for (const worker of started) worker.kill()
    throw failure.reason
  }

  async #spawnReady(): Promise<WorkerProcess> {
    const def = this.definition
    const worker = new WorkerProcess({
      config: {
        ...this.#options.workerConfig,
        pool: def.key,
        idleTimeoutMs: def.startMode === 'OnDemand' ? def.idleTimeoutMs : 0,
      },
      env: def.env,
      stdoutFd: this.#options.stdoutFd,
      stderrFd: this.#options.stderrFd,
    })
    worker.on('exit', (code: number | null, signal: string | null) =>
      this.#onWorkerExit(worker, code, signal),
    )
    worker.on('idle', () => this.#onWorkerIdle(worker))
    try {
      await worker.waitReady(def.key, def.startTimeLimitMs)
    } catch (err) {
      this.#recordCrash(`worker ${worker.pid} failed to start: ${(err as Error).message}`)
      throw err
    }
    this.#emit('workerStarted', 'worker process started', { pid: String(worker.pid) })
    return worker
  }

  /** Takes a worker out of rotation; true when it was serving. */
  #remove(worker: WorkerProcess): boolean {
    const index = this.#workers.indexOf(worker)
    if (index === -1) return false
    this.#workers.splice(index, 1)
    return true
  }

  #onWorkerIdle(worker: WorkerProcess): void {
    if (this.#queue.length > 0 || !this.#remove(worker)) return
    this.#emit('workerExited', 'worker process stopped after its idle timeout', {
      pid: String(worker.pid),
    })
    void worker.stop(this.definition.shutdownTimeLimitMs)
  }

  #onWorkerExit(worker: WorkerProcess, code: number | null, signal: string | null): void {
    const details = { pid: String(worker.pid), code: String(code), signal: String(signal) }
    if (!this.#remove(worker)) {
      this.#emit('workerExited', 'worker process exited', details)
      return
    }
    this.#emit('workerCrashed', 'worker process exited unexpectedly', details)
    this.#recordCrash(`worker ${worker.pid} exited unexpectedly (code ${code}, signal ${signal})`)
    if (this.#state === 'Started' && this.definition.startMode === 'AlwaysRunning') {
      this.#ensureWorkers().catch(() => this.#refuseQueued())
    }
  }

  /** Rapid-fail protection: too many crashes within the interval stop the pool, as WAS does. */
  #recordCrash(reason: string): void {
    const rfp = this.definition.rapidFailProtection
    if (!rfp.isEnabled || this.#state !== 'Started') return
    const now = Date.now()
    this.#crashTimesMs = this.#crashTimesMs.filter((t) => now - t < rfp.intervalMs)
    this.#crashTimesMs.push(now)
    if (this.#crashTimesMs.length < rfp.maxCrashes) return
    this.#lastError = `rapid-fail protection: ${rfp.maxCrashes} worker failures within ${rfp.intervalMs} ms; last: ${reason}`
    this.#emit('rapidFailProtection', 'application pool stopped by rapid-fail protection', {
      reason,
    })
    void this.stop()
  }

  #schedulePeriodicRestart(): void {
    const everyMs = this.definition.periodicRestartMs
    if (everyMs <= 0) return
    this.#periodicTimer = setInterval(() => {
      this.recycle().catch(() => {})
    }, everyMs)
    this.#periodicTimer.unref()
  }

  #clearPeriodicRestart(): void {
    if (this.#periodicTimer !== null) clearInterval(this.#periodicTimer)
    this.#periodicTimer = null
  }

  #emit(kind: SiteEventKind, message: string, details: Record<string, string> = {}): void {
    const event: PoolEvent = { kind, pool: this.definition.key, message, details }
    const ch = channel(`nomad-iis:app-pool:${kind}`)
    if (ch.hasSubscribers) ch.publish(event)
    this.#options.onEvent(event)
  }
}
