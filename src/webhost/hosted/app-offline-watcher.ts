/**
 * Watches an application's folder for `app_offline.htm`, as the ASP.NET Core
 * Module does: while the file is there, its content is served with 503 to
 * every request of the application and the program is stopped; once it is
 * removed, the application serves again. The name is matched without regard
 * to case, as on Windows.
 *
 * @module
 */
import { EventEmitter } from 'node:events'
import { watch } from 'node:fs'
import type { FSWatcher } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'

const FILE_NAME = /^app_offline\.htm$/i

/**
 * Emits `offline` (the file's content) when the file appears or changes and
 * `online` when it goes away.
 *
 * @example
 * const watcher = new AppOfflineWatcher('/srv/app')
 * watcher.on('offline', () => program.stop())
 * await watcher.start()
 */
export class AppOfflineWatcher extends EventEmitter<{ offline: [Buffer]; online: [] }> {
  readonly directory: string
  /** The file's content while the application is offline; written by #check only. */
  #content: Buffer | null = null
  #watcher: FSWatcher | null = null
  /** A check runs; another is wanted after it. Serialises bursts of file events. */
  #isChecking = false
  #isCheckWanted = false
  #isClosed = false

  constructor(directory: string) {
    super()
    this.directory = directory
  }

  /** The offline page, or null while the application is online. */
  get content(): Buffer | null {
    return this.#content
  }

  get isOffline(): boolean {
    return this.#content !== null
  }

  /** Looks once, then watches; resolves after the first look. Again after close, for a restarted pool. */
  async start(): Promise<void> {
    if (this.#watcher !== null) return
    this.#isClosed = false
    this.#watcher = watch(this.directory, { persistent: false }, () => void this.#check())
    this.#watcher.on('error', () => this.#watcher?.close())
    await this.#check()
  }

  /** Re-reads the folder now; for callers that know a change happened. */
  refresh(): Promise<void> {
    return this.#check()
  }

  async close(): Promise<void> {
    this.#isClosed = true
    this.#watcher?.close()
    this.#watcher = null
  }

  async #check(): Promise<void> {
    if (this.#isChecking) {
      this.#isCheckWanted = true
      return
    }
    this.#isChecking = true
    try {
      do {
        this.#isCheckWanted = false
        await this.#checkOnce()
      } while (this.#isCheckWanted && !this.#isClosed)
    } finally {
      this.#isChecking = false
    }
  }

  async #checkOnce(): Promise<void> {
    const content = await this.#read()
    if (this.#isClosed) return
    const wasOffline = this.#content !== null
    if (content === null) {
      this.#content = null
      if (wasOffline) this.emit('online')
      return
    }
    if (wasOffline && this.#content?.equals(content)) return
    this.#content = content
    this.emit('offline', content)
  }

  async #read(): Promise<Buffer | null> {
    try {
      const names = await readdir(this.directory)
      const name = names.find((n) => FILE_NAME.test(n))
      return name === undefined ? null : await readFile(join(this.directory, name))
    } catch {
      // The file went away between the listing and the read, or the folder did.
      return null
    }
  }
}
