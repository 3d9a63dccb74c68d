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
  /** Mutated by start/stop/rapid-fail only. */
  #state: PoolState = 'Stopped'
  #lastError: string | null = null
  /** The worker taking new connections; null when none runs (OnDemand, crashed, stopped). */
  #worker: WorkerProcess | null = null
  #starting: Promise<WorkerProcess> | null = null
  /** Workers finishing what they have after a recycle. */
  #draining = new Set<WorkerProcess>()
  #queue: QueuedConnection[] = []
  #crashTimesMs: number[] = []
  #periodicTimer: NodeJS.Timeout | null = null

  constructor(options: AppPoolOptions) {
    this.definition = options.definition
    this.#options = options
  }

  get state(): PoolState {
    return this.#state
  }

  status(): PoolStatus {
    const workers = [...(this.#worker ? [this.#worker] : []), ...this.#draining]
    return {
      key: this.definition.key,
      name: this.definition.name,
      state: this.#state,
      workers: workers.map((w) => ({
        pid: w.pid,
        kind: 'static',
        application: null,
        startedAt: w.startedAt,
      })),
      lastError: this.#lastError,
    }
  }

  /** Starts the pool; AlwaysRunning pools resolve once their worker is ready. */
  async start(): Promise<void> {
    if (this.#state === 'Started' || this.#state === 'Starting') return
    this.#state = 'Starting'
    this.#lastError = null
    this.#crashTimesMs = []
    const hasStatic = this.#options.hasStaticApplications?.() ?? true
    if (this.definition.startMode === 'AlwaysRunning' && hasStatic) {
      try {
        await this.#ensureWorker()
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
    const starting = this.#starting
    if (starting !== null) await starting.catch(() => null)
    const workers = [...(this.#worker ? [this.#worker] : []), ...this.#draining]
    this.#worker = null
    await Promise.all(workers.map((w) => w.stop(timeoutMs)))
    this.#state = 'Stopped'
    this.#emit('poolStopped', 'application pool stopped')
  }

  /**
   * Recycles the pool. Overlapped (the default): a new worker is ready before
   * the old one stops taking connections, and the old one finishes what it
   * has. With disableOverlappedRecycle the old worker stops first.
   */
  async recycle(): Promise<void> {
    if (this.#state !== 'Started') throw poolStopped(this.definition.key)
    const old = this.#worker
    if (old === null) {
      this.#emit('poolRecycled', 'application pool recycled (no worker was running)')
      return
    }
    if (this.definition.disableOverlappedRecycle) {
      this.#worker = null
      await old.stop(this.definition.shutdownTimeLimitMs)
      await this.#ensureWorker()
    } else {
      const next = await this.#spawnReady()
      this.#worker = next
      this.#flushQueue()
      this.#draining.add(old)
      void old.drain(this.definition.shutdownTimeLimitMs).then(() => this.#draining.delete(old))
    }
    this.#emit('poolRecycled', 'application pool recycled', { oldPid: String(old.pid) })
  }

  /** Takes a connection the site host routed here (with the bytes it already read). */
  dispatch(socket: Socket, listener: ListenerId, head: Buffer): void {
    if (this.#state !== 'Started') {
      this.#refuse(socket)
      return
    }
    const worker = this.#worker
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
    this.#ensureWorker().catch(() => this.#refuseQueued())
  }

  /** Kills every worker at once, for a site host that must exit now. */
  destroy(): void {
    this.#clearPeriodicRestart()
    this.#worker?.kill()
    for (const worker of this.#draining) worker.kill()
    this.#state = 'Stopped'
  }

  #handOver(worker: WorkerProcess, queued: QueuedConnection): void {
    void worker.handOver(queued.socket, queued.listener, queued.head).then((isTaken) => {
      if (isTaken) return
      // The worker went away between routing and hand-over: queue again for its successor.
      if (this.#worker === worker) this.#worker = null
      this.dispatch(queued.socket, queued.listener, queued.head)
    })
  }

  #flushQueue(): void {
    const worker = this.#worker
    if (worker === null) return
    for (const queued of this.#queue.splice(0)) this.#handOver(worker, queued)
  }

  #refuseQueued(): void {
    for (const queued of this.#queue.splice(0))
      writeRawResponse(queued.socket, 503, 'Service Unavailable')
  }

  /** A stopped pool answers 503 (HttpLevel) or drops the connection (TcpLevel). */
  #refuse(socket: Socket): void {
    if (this.definition.serviceUnavailableResponse === 'TcpLevel') socket.destroy()
    else writeRawResponse(socket, 503, 'Service Unavailable')
  }

  /** The serving worker, starting one (once, however many ask) when there is none. */
  #ensureWorker(): Promise<WorkerProcess> {
    if (this.#worker !== null) return Promise.resolve(this.#worker)
    if (this.#starting !== null) return this.#starting
    this.#starting = this.#spawnReady()
      .then((worker) => {
        this.#worker = worker
        this.#flushQueue()
        return worker
      })
      .finally(() => {
        this.#starting = null
      })
    return this.#starting
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

  #onWorkerIdle(worker: WorkerProcess): void {
    if (this.#worker !== worker || this.#queue.length > 0) return
    this.#worker = null
    this.#emit('workerExited', 'worker process stopped after its idle timeout', {
      pid: String(worker.pid),
    })
    void worker.stop(this.definition.shutdownTimeLimitMs)
  }

  #onWorkerExit(worker: WorkerProcess, code: number | null, signal: string | null): void {
    const details = { pid: String(worker.pid), code: String(code), signal: String(signal) }
    const wasServing = this.#worker === worker
    if (!wasServing) {
      this.#emit('workerExited', 'worker process exited', details)
      return
    }
    this.#worker = null
    this.#emit('workerCrashed', 'worker process exited unexpectedly', details)
    this.#recordCrash(`worker ${worker.pid} exited unexpectedly (code ${code}, signal ${signal})`)
    if (this.#state === 'Started' && this.definition.startMode === 'AlwaysRunning') {
      this.#ensureWorker().catch(() => this.#refuseQueued())
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
