/**
 * Screenshots, as the plugin process sees them: a limit on concurrent
 * shots (waiting at most the timeout, slot included, then 503) in front of
 * one screenshot worker process (screenshot-worker-main.ts) that keeps the
 * browser warm. The worker is started on first use and again after it
 * dies; a changed chromium path restarts it.
 *
 * @module
 */
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { access, constants } from 'node:fs/promises'
import type { FastifyBaseLogger } from 'fastify'
import {
  BusyError,
  DependencyMissingError,
  NavigationBlockedError,
  SiteUnreachableError,
  TimeoutError,
} from './errors.js'
import { Semaphore } from './semaphore.js'
import type { ShotReply, ShotRequest } from './screenshot-worker-main.js'

const WORKER_PATH = new URL('./screenshot-worker-main.js', import.meta.url)

/** How long close() lets the worker shut its browser before killing it. */
const WORKER_CLOSE_MS = 5000

export interface ScreenshotOptions {
  /** Read before each shot, so a new driver config takes effect. */
  chromiumPath: () => string
  timeoutMs: number
  concurrency: number
  log: FastifyBaseLogger
}

interface Pending {
  resolve: (png: Buffer) => void
  reject: (err: Error) => void
  url: string
}

export class ScreenshotService {
  #options: ScreenshotOptions
  #slots: Semaphore
  #worker: { child: ChildProcess; chromiumPath: string } | null = null
  #pending = new Map<number, Pending>()
  #nextId = 1
  #isClosed = false

  constructor(options: ScreenshotOptions) {
    this.#options = options
    this.#slots = new Semaphore(Math.max(1, options.concurrency))
  }

  /**
   * Photographs `url`, whatever the site answers.
   *
   * @throws BusyError, DependencyMissingError, TimeoutError, SiteUnreachableError
   */
  async capture(url: string): Promise<Buffer> {
    const startedAt = Date.now()
    const chromiumPath = this.#options.chromiumPath()
    await requireExecutable(chromiumPath)
    const release = await this.#slots.acquire(this.#options.timeoutMs)
    if (release === null)
      throw new BusyError('too many screenshots at once: try again in a few seconds')
    try {
      const remainingMs = Math.max(1000, this.#options.timeoutMs - (Date.now() - startedAt))
      return await this.#send(chromiumPath, url, remainingMs)
    } finally {
      release()
    }
  }

  /** Stops the worker and its browser; later captures fail. Idempotent. */
  async close(): Promise<void> {
    this.#isClosed = true
    await this.#stopWorker()
  }

  #send(chromiumPath: string, url: string, timeoutMs: number): Promise<Buffer> {
    if (this.#isClosed) throw new DependencyMissingError('the screenshot service is closed')
    const child = this.#ensureWorker(chromiumPath)
    const id = this.#nextId++
    return new Promise<Buffer>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, url })
      const request: ShotRequest = { id, url, chromiumPath, timeoutMs }
      child.send(request)
    })
  }

  #ensureWorker(chromiumPath: string): ChildProcess {
    if (this.#worker !== null && this.#worker.chromiumPath !== chromiumPath) void this.#stopWorker()
    if (this.#worker !== null) return this.#worker.child
    const child = fork(WORKER_PATH, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    child.stderr?.resume()
    child.on('message', (reply: ShotReply) => this.#settle(reply))
    child.on('exit', (code, signal) => this.#onExit(child, code, signal))
    this.#worker = { child, chromiumPath }
    this.#options.log.info({ workerPid: child.pid, chromiumPath }, 'screenshot worker started')
    return child
  }

  #settle(reply: ShotReply): void {
    const pending = this.#pending.get(reply.id)
    if (pending === undefined) return
    this.#pending.delete(reply.id)
    if ('png' in reply) {
      pending.resolve(Buffer.from(reply.png))
      return
    }
    const { kind, message } = reply.error
    if (kind === 'launch') {
      pending.reject(new DependencyMissingError(`Chromium did not start: ${firstLine(message)}`))
    } else if (kind === 'blocked') {
      pending.reject(new NavigationBlockedError(pending.url, message))
    } else if (kind === 'timeout') {
      pending.reject(new TimeoutError(`the screenshot of ${pending.url}`, this.#options.timeoutMs))
    } else {
      pending.reject(new SiteUnreachableError(pending.url, new Error(message)))
    }
  }

  #onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.#worker?.child === child) this.#worker = null
    if (!this.#isClosed) this.#options.log.warn({ code, signal }, 'screenshot worker exited')
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id)
      pending.reject(new DependencyMissingError('the screenshot worker exited during the shot'))
    }
  }

  async #stopWorker(): Promise<void> {
    const worker = this.#worker
    this.#worker = null
    if (worker === null || worker.child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => worker.child.once('exit', () => resolve()))
    worker.child.disconnect()
    const timer = setTimeout(() => worker.child.kill('SIGKILL'), WORKER_CLOSE_MS)
    await exited
    clearTimeout(timer)
  }
}

async function requireExecutable(chromiumPath: string): Promise<void> {
  try {
    await access(chromiumPath, constants.X_OK)
  } catch (err) {
    throw new DependencyMissingError(
      `Chromium is not installed at '${chromiumPath}': install the chromium package or set chromium_path`,
      err,
    )
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]
}
