/**
 * One task: its site host, the control connection to it and its exit
 * waiter. A handle works the same whether the driver started the site host
 * or recovered it after a plugin restart (then the site host is not our
 * child, so its exit is learnt from the socket closing, a liveness probe and
 * the exit record the site host leaves).
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { SiteHostClient, isProcessAlive, readExitRecord } from '../webhost/index.js'
import { DriverError } from './errors.js'
import { readProcSample } from './proc-stats.js'
import type { DriverState } from './driver-state.js'
import type { DriverLogger } from './logger.js'
import type { ExitResult, ProcessUsage, TaskEvent, TaskStatus, TaskUsage } from './types.js'
import type { PoolStatus, SiteEvent } from '../webhost/index.js'

/** How often a handle checks that its site host still lives, besides the socket closing. */
const LIVENESS_INTERVAL_MS = 1000

/** Extra time after a graceful stop's timeout before the process group is killed. */
const STOP_GRACE_MS = 5000

/** How long to wait for a killed site host to be gone. */
const KILL_WAIT_MS = 5000

/** Site host events that become task events (the others are logged only). */
const EVENT_KINDS = new Set<SiteEvent['event']>([
  'poolStarted',
  'poolStopped',
  'poolRecycled',
  'workerCrashed',
  'rapidFailProtection',
  'warning',
  'siteExiting',
])

export interface TaskHandleOptions {
  state: DriverState
  client: SiteHostClient
  isRecovered: boolean
  logger: DriverLogger
  emit: (event: TaskEvent) => void
}

export class TaskHandle {
  readonly state: DriverState
  readonly isRecovered: boolean
  readonly startedAt: Date
  #logger: DriverLogger
  #emit: (event: TaskEvent) => void

  // Mutated by the exit watcher (#finish) and by stop/kill.
  #client: SiteHostClient | null
  #exitResult: ExitResult | null = null
  #completedAt: Date | null = null
  #killReason: string | null = null
  #resolveExit!: (result: ExitResult) => void
  #exited: Promise<ExitResult>
  #livenessTimer: NodeJS.Timeout
  #isCheckingExit = false
  #hasWatched = false

  // Mutated by usage(): the previous CPU sample per pid, for percentages.
  #lastCpu = new Map<number, { totalMs: number; atMs: number }>()
  #lastWorkerPids: number[] = []
  // Mutated by pools(): hosted programs lead process groups of their own, so
  // a site host that dies leaves them behind unless someone kills the group.
  #programGroups = new Set<number>()

  constructor(options: TaskHandleOptions) {
    this.state = options.state
    this.isRecovered = options.isRecovered
    this.startedAt = new Date(options.state.startedAt)
    this.#logger = options.logger
    this.#emit = options.emit
    this.#client = options.client
    this.#exited = new Promise((resolve) => (this.#resolveExit = resolve))
    this.#watch(options.client)
    this.#livenessTimer = setInterval(() => void this.#checkExit(), LIVENESS_INTERVAL_MS)
    this.#livenessTimer.unref()
    // Learn the workers at once, so a kill right after a recovery finds them too.
    void this.pools().catch(() => {})
  }

  get isRunning(): boolean {
    return this.#exitResult === null
  }

  /** Resolves with the exit result once the site host has exited; any number of waiters. */
  wait(signal?: AbortSignal): Promise<ExitResult> {
    if (!signal) return this.#exited
    if (signal.aborted) return Promise.reject(signal.reason)
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      void this.#exited.then((result) => {
        signal.removeEventListener('abort', onAbort)
        resolve(result)
      })
    })
  }

  status(): TaskStatus {
    return {
      id: this.state.taskId,
      name: this.state.taskName,
      state: this.isRunning ? 'running' : 'exited',
      startedAt: this.startedAt,
      completedAt: this.#completedAt,
      exitResult: this.#exitResult,
    }
  }

  /**
   * Graceful stop: the site host stops intake and drains for up to
   * `timeoutMs`; if it has not exited shortly after, its process group is
   * killed. Resolves once it is gone.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (!this.isRunning) return
    const client = await this.#connectedClient().catch(() => null)
    // The reply may never come (a hung site host): the exit, or the deadline, decides.
    client?.shutdown(timeoutMs).catch((err: unknown) => {
      this.#logger.debug(
        { err, site: this.state.siteName },
        'shutdown request ended without a reply',
      )
    })
    const result = await withTimeout(this.#exited, timeoutMs + STOP_GRACE_MS).catch(() => null)
    if (result === null) await this.kill(`did not stop within ${timeoutMs} ms`)
  }

  /** Kills the site host's process group and every worker it last reported; resolves once gone. */
  async kill(reason: string): Promise<void> {
    if (!this.isRunning) return
    this.#killReason = reason
    const pid = this.state.siteHostPid
    const programGroups = [...this.#programGroups].map((leader) => -leader)
    for (const target of [-pid, pid, ...this.#lastWorkerPids, ...programGroups]) {
      try {
        process.kill(target, 'SIGKILL')
      } catch {
        // Already gone, or not a group leader: the other targets cover it.
      }
    }
    const deadline = Date.now() + KILL_WAIT_MS
    while (this.isRunning && Date.now() < deadline) {
      await this.#checkExit()
      if (this.isRunning) await delay(50)
    }
  }

  /** Pool states of the site, from the site host. */
  async pools(): Promise<PoolStatus[]> {
    const status = await (await this.#connectedClient()).status()
    const workers = status.pools.flatMap((pool) => pool.workers)
    this.#lastWorkerPids = workers.map((worker) => worker.pid)
    this.#programGroups = new Set(workers.filter((w) => w.kind === 'program').map((w) => w.pid))
    return status.pools
  }

  /** Starts the pools with these keys, or every pool of the site without keys. */
  async startPools(keys?: readonly string[]): Promise<void> {
    const client = await this.#connectedClient()
    if (keys === undefined) return void (await client.startPool())
    await Promise.all(keys.map((key) => client.startPool(key)))
  }

  /** Stops the pools with these keys (every pool without keys); resolves once their workers exited. */
  async stopPools(keys?: readonly string[]): Promise<void> {
    const client = await this.#connectedClient()
    if (keys === undefined) return void (await client.stopPool())
    await Promise.all(keys.map((key) => client.stopPool(key)))
  }

  /** Recycles the pools with these keys, or every pool of the site without keys. */
  async recyclePools(keys?: readonly string[]): Promise<void> {
    const client = await this.#connectedClient()
    if (keys === undefined) return void (await client.recyclePool())
    await Promise.all(keys.map((key) => client.recyclePool(key)))
  }

  /** CPU and memory of the site host and every worker, measured from /proc. */
  async usage(): Promise<TaskUsage> {
    const pools = this.isRunning ? await this.pools().catch(() => []) : []
    const pids = [
      this.state.siteHostPid,
      ...pools.flatMap((pool) => pool.workers.map((w) => w.pid)),
    ]
    const samples = await Promise.all(pids.map((pid) => readProcSample(pid)))
    const nowMs = Date.now()
    const processes: ProcessUsage[] = []
    for (const sample of samples) {
      if (sample === null) continue
      const totalMs = sample.cpuUserMs + sample.cpuSystemMs
      const previous = this.#lastCpu.get(sample.pid)
      const elapsedMs = previous ? nowMs - previous.atMs : 0
      const cpuPercent =
        previous && elapsedMs > 0 ? ((totalMs - previous.totalMs) / elapsedMs) * 100 : 0
      this.#lastCpu.set(sample.pid, { totalMs, atMs: nowMs })
      processes.push({ ...sample, cpuTotalMs: totalMs, cpuPercent: Math.max(0, cpuPercent) })
    }
    for (const pid of this.#lastCpu.keys()) if (!pids.includes(pid)) this.#lastCpu.delete(pid)
    return { at: new Date(nowMs), processes }
  }

  /** Stops watching and closes the control connection; the site host is left as it is. */
  dispose(): void {
    clearInterval(this.#livenessTimer)
    this.#client?.removeAllListeners('close')
    this.#client?.close()
    this.#client = null
  }

  #watch(client: SiteHostClient): void {
    // The site host replays its start-up events to every new subscriber: only
    // the first subscription of the task that started the site reports them.
    const isFirstWatch = !this.#hasWatched && !this.isRecovered
    this.#hasWatched = true
    client.subscribe((event) => {
      if (event.replayed === true && !isFirstWatch) return
      this.#onSiteEvent(event)
    })
    client.once('close', () => {
      if (this.#client === client) this.#client = null
      void this.#checkExit()
    })
  }

  async #connectedClient(): Promise<SiteHostClient> {
    if (this.#client && !this.#client.isClosed) return this.#client
    if (!this.isRunning) {
      throw new DriverError(
        'ERR_DRIVER_SITE_HOST_GONE',
        `task ${this.state.taskId} has exited: its site host is gone`,
      )
    }
    try {
      const client = await SiteHostClient.connect(this.state.controlSocketPath)
      this.#client = client
      this.#watch(client)
      return client
    } catch (err) {
      throw new DriverError(
        'ERR_DRIVER_SITE_HOST_GONE',
        `cannot reach the site host of task ${this.state.taskId} at ${this.state.controlSocketPath}`,
        { cause: err },
      )
    }
  }

  #onSiteEvent(event: SiteEvent): void {
    this.#logger.debug({ site: event.site, pool: event.pool, kind: event.event }, 'site host event')
    if (event.event === 'workerStarted') void this.pools().catch(() => {})
    if (!EVENT_KINDS.has(event.event)) return
    this.#emit({
      taskId: this.state.taskId,
      allocId: this.state.allocId,
      taskName: this.state.taskName,
      at: new Date(event.at),
      message: event.pool
        ? `${event.message || event.event}: ${event.pool}`
        : event.message || event.event,
      annotations: {
        kind: event.event,
        site: event.site,
        ...(event.pool ? { pool: event.pool } : {}),
        ...event.details,
      },
    })
  }

  async #checkExit(): Promise<void> {
    if (!this.isRunning || this.#isCheckingExit) return
    this.#isCheckingExit = true
    try {
      if (await isSiteHostAlive(this.state.siteHostPid)) return
      await this.#finish()
    } finally {
      this.#isCheckingExit = false
    }
  }

  async #finish(): Promise<void> {
    const record = await readExitRecord(this.state.stateDir, this.state.siteName).catch(() => null)
    const isFromThisRun = record !== null && Date.parse(record.at) >= this.startedAt.getTime()
    const result: ExitResult =
      record && isFromThisRun && this.#killReason === null
        ? { exitCode: record.exitCode, signal: 0, isOomKilled: false, error: record.error }
        : {
            exitCode: this.#killReason ? 137 : -1,
            signal: this.#killReason ? 9 : 0,
            isOomKilled: false,
            error: this.#killReason
              ? `site host killed: it ${this.#killReason}`
              : `site host (pid ${this.state.siteHostPid}) ended without an exit record: it was killed or crashed`,
          }
    this.#exitResult = result
    this.#completedAt = new Date()
    clearInterval(this.#livenessTimer)
    await killOrphanedGroups(this.#programGroups)
    this.#logger.info(
      { site: this.state.siteName, exitCode: result.exitCode, error: result.error },
      'site host exited',
    )
    if (result.error !== '') {
      this.#emit({
        taskId: this.state.taskId,
        allocId: this.state.allocId,
        taskName: this.state.taskName,
        at: this.#completedAt,
        message: result.error,
        annotations: { kind: 'siteHostExited', exitCode: String(result.exitCode) },
      })
    }
    this.#resolveExit(result)
  }
}

/**
 * True while the pid is a live process (not a zombie). A pid that was
 * reused by another program after the site host died also counts as gone.
 */
export async function isSiteHostAlive(pid: number): Promise<boolean> {
  if (!isProcessAlive(pid)) return false
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const stateLetter = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (stateLetter === 'Z' || stateLetter === 'X') return false
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8')
    return cmdline.includes('site-host')
  } catch {
    return isProcessAlive(pid)
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (err: unknown) => {
        clearTimeout(timer)
        reject(err)
      },
    )
  })
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Kills what is left of hosted programs' process groups once their site host
 * is gone (it may have been killed before it could stop them). A group is
 * only signalled while its leader still leads it, so a reused pid is spared.
 */
async function killOrphanedGroups(leaders: Iterable<number>): Promise<void> {
  for (const leader of leaders) {
    const stat = await readFile(`/proc/${leader}/stat`, 'utf8').catch(() => null)
    // Fields after the command's closing parenthesis: state, ppid, pgrp, ...
    const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields === undefined || Number(fields[2]) !== leader) continue
    try {
      process.kill(-leader, 'SIGKILL')
    } catch {
      // Gone between the check and the signal.
    }
  }
}
