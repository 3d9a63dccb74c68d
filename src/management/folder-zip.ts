/**
 * A folder as a ZIP, streamed while it is written: entries are added as the
 * walk finds them and the writer's output goes straight to the response, so
 * nothing is built in memory or in a temp file first. Entry names are
 * relative to the folder, `/`-separated, with every directory (empty ones
 * included) as an entry ending in `/`. A file that cannot be read midway
 * destroys the stream, so the client sees a broken transfer rather than a
 * shorter ZIP that looks complete.
 *
 * @module
 */
import { lstat, readdir, realpath } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { writeZip } from './zip-writer.js'
import type { ZipSourceEntry } from './zip-writer.js'
import { isInside } from './task-path.js'

export interface FolderZipOptions {
  /** The task directory's real path: symlinks leading elsewhere are left out. */
  rootRealPath: string
  compressionLevel: number
  onSkip?: (relativePath: string, reason: string) => void
}

/** Starts zipping `folder`; the returned stream fails if any file fails. */
export function zipFolder(folder: string, options: FolderZipOptions): Readable {
  return writeZip(walk(folder, '', options), options.compressionLevel)
}

/** Yields every folder and file below `dir`, in sorted order, folders before their contents. */
async function* walk(
  dir: string,
  prefix: string,
  options: FolderZipOptions,
): AsyncGenerator<ZipSourceEntry> {
  const names = (await readdir(dir)).sort()
  for (const entryName of names) {
    const absolute = join(dir, entryName)
    const name = prefix + entryName
    const stats = await statEntry(absolute, name, options)
    if (stats === null) continue
    if (stats.isDirectory()) {
      yield { name: `${name}/`, path: null, sizeBytes: 0, mtime: stats.mtime, mode: stats.mode }
      yield* walk(absolute, `${name}/`, options)
    } else if (stats.isFile()) {
      yield { name, path: absolute, sizeBytes: stats.size, mtime: stats.mtime, mode: stats.mode }
    }
  }
}

/** Follows symlinks only when they stay inside the task directory, and never into folders. */
async function statEntry(
  absolute: string,
  name: string,
  options: FolderZipOptions,
): Promise<Stats | null> {
  const stats = await lstat(absolute)
  if (!stats.isSymbolicLink()) return stats
  const target = await realpath(absolute).catch(() => null)
  if (target === null || !isInside(options.rootRealPath, target)) {
    options.onSkip?.(name, 'symlink leads out of the task directory')
    return null
  }
  const targetStats = await lstat(target)
  if (targetStats.isDirectory()) {
    options.onSkip?.(name, 'symlinked folders are not followed')
    return null
  }
  return targetStats
}
