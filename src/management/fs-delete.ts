/**
 * DELETE on fs: a file or a folder, or with `/*` (`/*.*`) the folder's
 * contents while the folder stays. The task directory itself is neither
 * deleted nor emptied.
 *
 * @module
 */
import { lstat, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  BadPathError,
  ConflictError,
  FileNotFoundError,
  PreconditionFailedError,
} from './errors.js'
import { etagOf, matchesAny } from './file-download.js'
import type { TaskPath } from './task-path.js'

export async function deletePath(
  path: TaskPath,
  ifMatch: string | undefined,
): Promise<{ deleted: number }> {
  if (path.relative === '') {
    throw new BadPathError(
      'the task directory itself cannot be deleted or emptied: name a path below it',
    )
  }
  const stats = await lstat(path.absolute).catch(() => null)
  if (stats === null) throw new FileNotFoundError(path.relative)
  if (ifMatch !== undefined && (stats.isDirectory() || !matchesAny(ifMatch, etagOf(stats)))) {
    throw new PreconditionFailedError(
      `'${path.relative}' changed since you read it (If-Match): look again`,
    )
  }
  if (!path.isWildcard) {
    const deleted = stats.isDirectory() ? 1 + (await countEntries(path.absolute)) : 1
    await rm(path.absolute, { recursive: true, force: true })
    return { deleted }
  }
  if (!stats.isDirectory()) {
    throw new ConflictError(`'${path.relative}' is a file: '/*' empties folders only`)
  }
  let deleted = 0
  for (const name of await readdir(path.absolute)) {
    const child = join(path.absolute, name)
    const childStats = await lstat(child)
    deleted += childStats.isDirectory() ? 1 + (await countEntries(child)) : 1
    await rm(child, { recursive: true, force: true })
  }
  return { deleted }
}

async function countEntries(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true })
  return entries.length
}
