/**
 * A folder as a ZIP, streamed while it is written: entries are added as the
 * walk finds them and yazl's output goes straight to the response, so
 * nothing is built in memory or in a temp file first. Entry names are
 * relative to the folder, `/`-separated, with every directory (empty ones
 * included) as an entry ending in `/`. A file that cannot be read midway
 * destroys the stream, so the client sees a broken transfer rather than a
 * shorter ZIP that looks complete.
 *
 * @module
 */
import { createReadStream } from 'node:fs'
import { lstat, readdir, realpath } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { ZipFile } from 'yazl'
import { isInside } from './task-path.js'

export interface FolderZipOptions {
  /** The task directory's real path: symlinks leading elsewhere are left out. */
  rootRealPath: string
  compressionLevel: number
  onSkip?: (relativePath: string, reason: string) => void
}

/** Starts zipping `folder`; the returned stream fails if any file fails. */
export function zipFolder(folder: string, options: FolderZipOptions): Readable {
  const zip = new ZipFile()
  const output = zip.outputStream as Readable
  zip.on('error', (err: Error) => output.destroy(err))
  addTree(zip, folder, '', options).then(
    () => zip.end(),
    (err: unknown) => output.destroy(err instanceof Error ? err : new Error(String(err))),
  )
  return output
}

async function addTree(
  zip: ZipFile,
  dir: string,
  prefix: string,
  options: FolderZipOptions,
): Promise<void> {
  // Sorted, so the same folder always gives the same archive.
  const names = (await readdir(dir)).sort()
  for (const entryName of names) {
    const absolute = join(dir, entryName)
    const name = prefix + entryName
    const stats = await statEntry(absolute, name, options)
    if (stats === null) continue
    if (stats.isDirectory()) {
      zip.addEmptyDirectory(`${name}/`, { mtime: stats.mtime, mode: stats.mode })
      await addTree(zip, absolute, `${name}/`, options)
    } else if (stats.isFile()) {
      addFileEntry(zip, absolute, name, stats, options.compressionLevel)
    }
  }
}

function addFileEntry(
  zip: ZipFile,
  absolute: string,
  name: string,
  stats: Stats,
  level: number,
): void {
  // Lazy: the file is opened only when yazl reaches it, so open handles stay few.
  zip.addReadStreamLazy(
    name,
    {
      mtime: stats.mtime,
      mode: stats.mode,
      size: stats.size,
      compressionLevel: level,
      compress: level > 0,
    },
    (callback) => callback(null, createReadStream(absolute)),
  )
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
