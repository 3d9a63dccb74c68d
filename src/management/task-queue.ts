/**
 * Runs work for one task at a time, in arrival order: two uploads to the
 * same task are serialised, never interleaved. Different tasks run freely.
 *
 * @module
 */

export class TaskQueue {
  #tails = new Map<string, Promise<unknown>>()

  /** Runs `work` after every earlier piece of work queued for `taskId`. */
  run<T>(taskId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(taskId) ?? Promise.resolve()
    const result = previous.then(work)
    const tail = result.catch(() => undefined)
    this.#tails.set(taskId, tail)
    void tail.then(() => {
      if (this.#tails.get(taskId) === tail) this.#tails.delete(taskId)
    })
    return result
  }
}
