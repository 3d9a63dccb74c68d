/**
 * A counting semaphore whose waiters give up after a deadline: requests
 * over a concurrency limit queue, and a full queue answers 503 rather than
 * piling up work.
 *
 * @module
 */

export class Semaphore {
  #free: number
  #waiters: Array<() => void> = []

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TypeError(`semaphore capacity must be an integer >= 1, got ${capacity}`)
    }
    this.#free = capacity
  }

  /** Resolves with a release function, or with null when `timeoutMs` passes first. */
  acquire(timeoutMs: number): Promise<(() => void) | null> {
    if (this.#free > 0) {
      this.#free--
      return Promise.resolve(this.#makeRelease())
    }
    return new Promise((resolve) => {
      const waiter = (): void => {
        clearTimeout(timer)
        resolve(this.#makeRelease())
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((item) => item !== waiter)
        resolve(null)
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  #makeRelease(): () => void {
    let isReleased = false
    return () => {
      if (isReleased) return
      isReleased = true
      const next = this.#waiters.shift()
      if (next !== undefined) next()
      else this.#free++
    }
  }
}
