/**
 * A log file that rotates as Nomad's logmon rotates task logs: the stream
 * is written to `<base>.0`, `<base>.1`, ...; when a file reaches
 * `maxFileBytes` the rest goes to the next index, and only the newest
 * `maxFiles` files are kept.
 *
 * @module
 */
import { open, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'

export interface RotationLimits {
  /** Nomad's `logs { max_files }`, default 10. */
  maxFiles: number
  /** Nomad's `logs { max_file_size }` (MB) in bytes, default 10 MiB. */
  maxFileBytes: number
}

export const DEFAULT_ROTATION: RotationLimits = { maxFiles: 10, maxFileBytes: 10 * 1024 * 1024 }

export class RotatingLog extends Writable {
  readonly #base: string
  readonly #limits: RotationLimits
  // Changed only inside _write/_final, which the stream calls one at a time.
  #index = 0
  #bytesInFile = 0
  #file: FileHandle | null = null

  /** `base` is the path without the index, e.g. `<alloc>/alloc/logs/web.stdout`. */
  constructor(base: string, limits: RotationLimits = DEFAULT_ROTATION) {
    super()
    if (limits.maxFiles < 1 || limits.maxFileBytes < 1) {
      throw new RangeError('maxFiles and maxFileBytes must be at least 1')
    }
    this.#base = base
    this.#limits = limits
  }

  /** Path of the file being written now. */
  get currentPath(): string {
    return `${this.#base}.${this.#index}`
  }

  /** Opens `<base>.0` at once, as logmon creates the file before any output. */
  override _construct(done: (err?: Error | null) => void): void {
    open(this.currentPath, 'a').then((file) => {
      this.#file = file
      done()
    }, done)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void) {
    this.#append(chunk).then(() => done(), done)
  }

  override _final(done: (err?: Error | null) => void): void {
    const file = this.#file
    this.#file = null
    if (file === null) return done()
    file.close().then(() => done(), done)
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const file = this.#file
    this.#file = null
    if (file === null) return done(err)
    file.close().then(
      () => done(err),
      () => done(err),
    )
  }

  async #append(chunk: Buffer): Promise<void> {
    let rest = chunk
    while (rest.length > 0) {
      if (this.#bytesInFile >= this.#limits.maxFileBytes) await this.#rotate()
      const file = this.#file ?? (this.#file = await open(this.currentPath, 'a'))
      const room = this.#limits.maxFileBytes - this.#bytesInFile
      const part = rest.subarray(0, room)
      await file.write(part)
      this.#bytesInFile += part.length
      rest = rest.subarray(part.length)
    }
  }

  async #rotate(): Promise<void> {
    await this.#file?.close()
    this.#file = null
    this.#index++
    this.#bytesInFile = 0
    const expired = this.#index - this.#limits.maxFiles
    if (expired >= 0) await rm(`${this.#base}.${expired}`, { force: true })
  }
}
