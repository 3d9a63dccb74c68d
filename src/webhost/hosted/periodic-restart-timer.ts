/**
 * Periodic restart: IIS recycles a worker `intervalMs` after it started
 * (1740 minutes by default); 0 turns it off. The countdown starts again with
 * every new worker.
 *
 * @module
 */
import { HostedError } from './errors.js'

export interface PeriodicRestartTimerOptions {
  intervalMs: number
  onRestart: () => void
}

/** Calls onRestart intervalMs after each start(). */
export class PeriodicRestartTimer {
  readonly intervalMs: number
  #onRestart: () => void
  #timer: NodeJS.Timeout | null = null

  constructor(options: PeriodicRestartTimerOptions) {
    if (!(options.intervalMs >= 0)) {
      throw new HostedError('ERR_HOSTED_INVALID_ARGUMENT', 'intervalMs must be >= 0')
    }
    this.intervalMs = options.intervalMs
    this.#onRestart = options.onRestart
  }

  /** A worker started: count from now. */
  start(): void {
    this.stop()
    if (this.intervalMs === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#onRestart()
    }, this.intervalMs)
    this.#timer.unref?.()
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  get isRunning(): boolean {
    return this.#timer !== null
  }
}
