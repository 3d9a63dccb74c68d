/**
 * One worker process of a pool (the w3wp role): spawned with the task's
 * environment, told its configuration, handed connections over IPC.
 *
 * @module
 */
import { fork } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { fileURLToPath } from 'node:url'
import { workerStartFailed } from './errors.js'
import type { ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import type { HostToWorker, ListenerId, WorkerConfig, WorkerToHost } from './site-host-messages.js'

const STATIC_WORKER_MAIN = fileURLToPath(new URL('./static-worker-main.js', import.meta.url))

export interface WorkerSpawnOptions {
  config: WorkerConfig
  env: Record<string, string>
  stdoutFd: number | null
  stderrFd: number | null
}

/**
 * Emits `exit` (code, signal) once, and `idle` when the worker saw no
 * request for its idle timeout.
 */
export class WorkerProcess extends EventEmitter {
  readonly pid: number
  readonly startedAt: string
  #child: ChildProcess
  #exited: Promise<void>
  #hasExited = false

  constructor(options: WorkerSpawnOptions) {
    super()
    this.#child = fork(STATIC_WORKER_MAIN, [], {
      env: { ...options.env, NOMAD_IIS_WORKER_CONFIG: JSON.stringify(options.config) },
      stdio: ['ignore', options.stdoutFd ?? 'ignore', options.stderrFd ?? 'ignore', 'ipc'],
      serialization: 'json',
    })
    this.pid = this.#child.pid ?? -1
    this.startedAt = new Date().toISOString()
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#hasExited = true
        this.emit('exit', code, signal)
        resolve()
      })
    })
    this.#child.on('error', () => {})
    this.#child.on('message', (message: WorkerToHost) => {
      if (message.type === 'idle') this.emit('idle')
      else if (message.type === 'ready') this.emit('ready')
    })
  }

  get hasExited(): boolean {
    return this.#hasExited
  }

  /** Resolves when the worker says it is ready; kills it and rejects after `timeoutMs`. */
  waitReady(pool: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup()
        this.kill()
        reject(workerStartFailed(pool, `not ready within the start time limit of ${timeoutMs} ms`))
      }, timeoutMs)
      const onReady = (): void => {
        cleanup()
        resolve()
      }
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup()
        reject(
          workerStartFailed(pool, `worker exited while starting (code ${code}, signal ${signal})`),
        )
      }
      const cleanup = (): void => {
        clearTimeout(timer)
        this.removeListener('ready', onReady)
        this.removeListener('exit', onExit)
      }
      this.once('ready', onReady)
      this.once('exit', onExit)
    })
  }

  /** Hands a connection over; resolves false when the worker could not take it. */
  handOver(socket: Socket, listener: ListenerId, head: Buffer): Promise<boolean> {
    const message: HostToWorker = { type: 'conn', listener, head: head.toString('base64') }
    return new Promise((resolve) => {
      if (this.#hasExited || !this.#child.connected) {
        resolve(false)
        return
      }
      try {
        this.#child.send(message, socket, { keepOpen: false }, (err) => resolve(err === null))
      } catch {
        resolve(false)
      }
    })
  }

  /** Overlapped recycle: the worker finishes what it has and exits; killed after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    return this.#ask({ type: 'drain' }, timeoutMs)
  }

  /** Pool stop: idle connections close now, in-flight requests finish; killed after `timeoutMs`. */
  stop(timeoutMs: number): Promise<void> {
    return this.#ask({ type: 'stop' }, timeoutMs)
  }

  kill(): void {
    if (!this.#hasExited) this.#child.kill('SIGKILL')
  }

  waitExit(): Promise<void> {
    return this.#exited
  }

  async #ask(message: HostToWorker, timeoutMs: number): Promise<void> {
    if (this.#hasExited) return
    try {
      this.#child.send(message)
    } catch {
      this.kill()
    }
    const timer = setTimeout(() => this.kill(), timeoutMs)
    await this.#exited
    clearTimeout(timer)
  }
}
