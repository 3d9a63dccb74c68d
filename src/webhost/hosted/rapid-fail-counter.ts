/**
 * Rapid-fail protection's counter: IIS stops a pool whose workers crash
 * `maxCrashes` times within `intervalMs` (5 in 5 minutes by default), so that
 * a program that cannot start does not spin.
 *
 * @module
 */
import { HostedError } from './errors.js'

export interface RapidFailCounterOptions {
  /** Crashes within the interval that trip protection; IIS default 5. */
  maxCrashes: number
  /** Length of the sliding window in ms; IIS default 300000. */
  intervalMs: number
  /** Clock, for tests; default Date.now. */
  now?: () => number
}

/** Counts worker crashes in a sliding window. */
export class RapidFailCounter {
  readonly maxCrashes: number
  readonly intervalMs: number
  #now: () => number
  /** Times of the crashes still inside the window; written by recordCrash and reset. */
  #crashTimes: number[] = []

  constructor(options: RapidFailCounterOptions) {
    if (!Number.isInteger(options.maxCrashes) || options.maxCrashes < 1) {
      throw new HostedError('ERR_HOSTED_INVALID_ARGUMENT', 'maxCrashes must be an integer >= 1')
    }
    if (!(options.intervalMs > 0)) {
      throw new HostedError('ERR_HOSTED_INVALID_ARGUMENT', 'intervalMs must be > 0')
    }
    this.maxCrashes = options.maxCrashes
    this.intervalMs = options.intervalMs
    this.#now = options.now ?? Date.now
  }

  /** Records a crash; true when it is the one that trips protection. */
  recordCrash(): boolean {
    const now = this.#now()
    this.#crashTimes = this.#crashTimes.filter((at) => now - at < this.intervalMs)
    this.#crashTimes.push(now)
    return this.#crashTimes.length >= this.maxCrashes
  }

  /** Crashes currently inside the window. */
  get crashCount(): number {
    const now = this.#now()
    return this.#crashTimes.filter((at) => now - at < this.intervalMs).length
  }

  /** Forgets every crash, as IIS does when the pool is started again. */
  reset(): void {
    this.#crashTimes = []
  }
}
