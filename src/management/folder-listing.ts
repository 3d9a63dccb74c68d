/**
 * Ours: `GET fs/{folder}` with `Accept: application/json` lists the folder
 * instead of zipping it. The ZIP stays the default.
 *
 * @module
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { join, sep } from 'node:path'

export interface ListingEntry {
  name: string
  /** `symlink`: a link leading out of the task directory (or nowhere), never followed. */
  type: 'file' | 'directory' | 'symlink'
  size: number
  /** ISO 8601, UTC. */
  modified: string
}

/**
 * Lists `absolute`. A symlink whose target stays inside `rootRealPath` is
 * listed as what it points to; one leading out (or dangling) is listed as
 * `symlink` with size 0 and the link's own time, so nothing of its target shows.
 */
export async function listFolder(
  relative: string,
  absolute: string,
  rootRealPath: string,
): Promise<{ path: string; entries: ListingEntry[] }> {
  const names = (await readdir(absolute)).sort()
  const entries: ListingEntry[] = []
  for (const name of names) {
    const entry = await describeEntry(join(absolute, name), rootRealPath)
    if (entry !== null) entries.push({ name, ...entry })
  }
  return { path: relative, entries }
}

async function describeEntry(
  path: string,
  rootRealPath: string,
): Promise<Omit<ListingEntry, 'name'> | null> {
  const own = await lstat(path).catch(() => null)
  if (own === null) return null
  if (!own.isSymbolicLink()) return fromStats(own)
  const target = await realpath(path).catch(() => null)
  const isInside =
    target !== null && (target === rootRealPath || target.startsWith(rootRealPath + sep))
  const stats = isInside ? await stat(path).catch(() => null) : null
  if (stats === null) return { type: 'symlink', size: 0, modified: own.mtime.toISOString() }
  return fromStats(stats)
}

function fromStats(stats: Stats): Omit<ListingEntry, 'name'> {
  return {
    type: stats.isDirectory() ? 'directory' : 'file',
    size: stats.isDirectory() ? 0 : stats.size,
    modified: stats.mtime.toISOString(),
  }
}

/** True when the Accept header asks for JSON rather than anything else. */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false
  return accept
    .split(',')
    .some((item) => item.split(';')[0].trim().toLowerCase() === 'application/json')
}
