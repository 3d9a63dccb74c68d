/**
 * The pool's request queue: requests that arrive while the program starts
 * wait here instead of failing. Beyond `limit` waiting requests (IIS's
 * queueLength, 1000 by default) a request is refused at once, and the caller
 * answers 503.
 *
 * @module
 */
import { HostedError } from './errors.js'

interface Waiter {
  resolve: () => void
  reject: (err: Error) => void
}

/** A bounded FIFO of requests waiting for a worker. */
export class RequestQueue {
  readonly limit: number
  /** Requests waiting, oldest first; changed by wait, releaseAll and rejectAll. */
  #waiters: Waiter[] = []

  constructor(options: { limit: number }) {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new HostedError('ERR_HOSTED_INVALID_ARGUMENT', 'limit must be an integer >= 0')
    }
    this.limit = options.limit
  }

  /**
   * Waits until released. Rejects at once with ERR_HOSTED_QUEUE_FULL when
   * the queue is full, and with ERR_HOSTED_CLOSED when the signal aborts
   * (the client went away) or the queue is rejected.
   */
  wait(signal?: AbortSignal): Promise<void> {
    if (this.#waiters.length >= this.limit) {
      const err = new HostedError(
        'ERR_HOSTED_QUEUE_FULL',
        `request queue is full (${this.limit} waiting); raise queue_length or add capacity`,
      )
      return Promise.reject(err)
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject }
      this.#waiters.push(waiter)
      signal?.addEventListener('abort', () => {
        if (!this.#remove(waiter)) return
        reject(new HostedError('ERR_HOSTED_CLOSED', 'request left the queue: client went away'))
      })
    })
  }

  /** Lets every waiting request go on, in arrival order. */
  releaseAll(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.resolve()
  }

  /** Fails every waiting request with err. */
  rejectAll(err: Error): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.reject(err)
  }

  get length(): number {
    return this.#waiters.length
  }

  #remove(waiter: Waiter): boolean {
    const index = this.#waiters.indexOf(waiter)
    if (index === -1) return false
    this.#waiters.splice(index, 1)
    return true
  }
}
