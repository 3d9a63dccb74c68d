/**
 * The logmon role of a Nomad client on Linux: a task's stdout and stderr
 * paths are FIFOs in `<alloc>/alloc/logs/.<task>.<stream>.fifo`, and
 * whatever the driver writes into them is copied into
 * `<alloc>/alloc/logs/<task>.<stream>.<n>`, rotated by the job's `logs`
 * limits.
 *
 * The FIFO is opened read-write and non-blocking: holding a write end
 * ourselves means the reader never sees end-of-file when the plugin closes
 * and reopens its end (as it does after a restart), and opening never waits
 * for a writer.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { constants, openSync } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { DEFAULT_ROTATION, RotatingLog } from './rotating-log.js'
import type { RotationLimits } from './rotating-log.js'

const execFileAsync = promisify(execFile)

export type LogStream = 'stdout' | 'stderr'

export class LogFifo {
  /** The FIFO the driver writes into (TaskConfig.stdout_path / stderr_path). */
  readonly fifoPath: string
  /** The first file the copy lands in (`.0`); later ones count up. */
  readonly logPath: string
  readonly #base: string
  readonly #limits: RotationLimits
  #reader: Socket | null = null
  #file: RotatingLog | null = null

  constructor(
    logsDir: string,
    taskName: string,
    stream: LogStream,
    limits: RotationLimits = DEFAULT_ROTATION,
  ) {
    this.fifoPath = join(logsDir, `.${taskName}.${stream}.fifo`)
    this.#base = join(logsDir, `${taskName}.${stream}`)
    this.logPath = `${this.#base}.0`
    this.#limits = limits
  }

  /** Creates the FIFO with the system's mkfifo and starts copying. */
  async open(): Promise<void> {
    // The log file must be writable before anything is copied: a failure
    // here is an error of the start, not a crash of the runner later.
    await (await open(this.logPath, 'a')).close()
    await execFileAsync('mkfifo', ['-m', '600', this.fifoPath])
    const fd = openSync(this.fifoPath, constants.O_RDWR | constants.O_NONBLOCK)
    this.#file = new RotatingLog(this.#base, this.#limits)
    this.#reader = new Socket({ fd, readable: true, writable: false })
    this.#reader.on('error', () => this.#reader?.destroy())
    // A log that can no longer be written (disk full, dir removed) stops the
    // copy; the task goes on, as with logmon.
    this.#file.on('error', () => this.#reader?.unpipe())
    this.#reader.pipe(this.#file)
  }

  /** Stops copying, flushes the log file and removes the FIFO; idempotent. */
  async close(): Promise<void> {
    const reader = this.#reader
    const file = this.#file
    this.#reader = null
    this.#file = null
    if (reader !== null) {
      reader.unpipe()
      reader.destroy()
    }
    if (file !== null) await new Promise<void>((resolve) => file.end(resolve))
    await rm(this.fifoPath, { force: true })
  }
}
