/**
 * The idle timeout of a pool's workers: after `timeoutMs` without a request
 * in flight, the workers stop (the pool stays Started and the next request
 * starts them again). IIS default: 20 minutes; 0 turns it off.
 *
 * @module
 */
import { HostedError } from './errors.js'

export interface IdleTimerOptions {
  timeoutMs: number
  onIdle: () => void
}

/** Fires onIdle once the armed worker has had no request for timeoutMs. */
export class IdleTimer {
  readonly timeoutMs: number
  #onIdle: () => void
  /** Requests in flight; changed by begin and end. */
  #active = 0
  /** True while a worker runs; changed by arm and disarm. */
  #isArmed = false
  #timer: NodeJS.Timeout | null = null

  constructor(options: IdleTimerOptions) {
    if (!(options.timeoutMs >= 0)) {
      throw new HostedError('ERR_HOSTED_INVALID_ARGUMENT', 'timeoutMs must be >= 0')
    }
    this.timeoutMs = options.timeoutMs
    this.#onIdle = options.onIdle
  }

  /** A worker started: the countdown runs whenever no request is in flight. */
  arm(): void {
    this.#isArmed = true
    this.#schedule()
  }

  /** The worker stopped: no countdown until armed again. */
  disarm(): void {
    this.#isArmed = false
    this.#clear()
  }

  /** A request started. */
  begin(): void {
    this.#active++
    this.#clear()
  }

  /** A request finished. */
  end(): void {
    this.#active = Math.max(0, this.#active - 1)
    this.#schedule()
  }

  get activeRequests(): number {
    return this.#active
  }

  #schedule(): void {
    this.#clear()
    if (!this.#isArmed || this.#active > 0 || this.timeoutMs === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#isArmed = false
      this.#onIdle()
    }, this.timeoutMs)
    this.#timer.unref?.()
  }

  #clear(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }
}
