/**
 * A bounded in-memory cache of resolved static files: our stand-in for
 * HTTP.sys's kernel response cache. Small files keep their bytes; large ones
 * only their metadata (they are streamed). Entries are revalidated with one
 * stat when older than `revalidateMs`, and dropped when the file's inode,
 * size or mtime changed, or it went away.
 *
 * @module
 */
import { statSync } from 'node:fs'

export interface CachedFile {
  filePath: string
  size: number
  mtimeMs: number
  ino: number
  contentType: string
  etag: string
  lastModified: string
  mtimeSeconds: number
  /** The file's bytes, when small enough to keep. */
  body: Buffer | null
  /** Headers of a plain 200 answer, built once. */
  fullHeaders: Record<string, string | number>
  /** The same answer's status line and headers up to `Date: `, as bytes, for the fast path. */
  headPrefix: Buffer
  /** When the entry was last checked against the file system (ms since epoch). */
  checkedAt: number
}

export interface FileCacheOptions {
  maxBytes: number
  maxEntries: number
  revalidateMs: number
}

export class FileCache {
  #entries = new Map<string, CachedFile>()
  #bytes = 0
  #options: FileCacheOptions

  constructor(options: FileCacheOptions) {
    this.#options = options
  }

  get bytes(): number {
    return this.#bytes
  }

  /** The entry for `key` if still valid as of `now`. */
  get(key: string, now: number): CachedFile | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (now - entry.checkedAt < this.#options.revalidateMs) return entry
    if (!isUnchanged(entry)) {
      this.#delete(key, entry)
      return undefined
    }
    entry.checkedAt = now
    return entry
  }

  set(key: string, entry: CachedFile): void {
    const old = this.#entries.get(key)
    if (old !== undefined) this.#delete(key, old)
    const size = entry.body?.length ?? 0
    if (size > this.#options.maxBytes) return
    this.#entries.set(key, entry)
    this.#bytes += size
    this.#evict()
  }

  clear(): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  /** Oldest first: a simple FIFO keeps the hot path free of bookkeeping. */
  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.#options.maxBytes && this.#entries.size <= this.#options.maxEntries) {
        return
      }
      this.#delete(key, entry)
    }
  }

  #delete(key: string, entry: CachedFile): void {
    this.#entries.delete(key)
    this.#bytes -= entry.body?.length ?? 0
  }
}

function isUnchanged(entry: CachedFile): boolean {
  try {
    const stats = statSync(entry.filePath)
    return stats.ino === entry.ino && stats.size === entry.size && stats.mtimeMs === entry.mtimeMs
  } catch {
    return false
  }
}
