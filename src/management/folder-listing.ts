/**
 * Ours: `GET fs/{folder}` with `Accept: application/json` lists the folder
 * instead of zipping it. The ZIP stays the default.
 *
 * @module
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export interface ListingEntry {
  name: string
  type: 'file' | 'directory'
  size: number
  /** ISO 8601, UTC. */
  modified: string
}

export async function listFolder(
  relative: string,
  absolute: string,
): Promise<{ path: string; entries: ListingEntry[] }> {
  const names = (await readdir(absolute)).sort()
  const entries: ListingEntry[] = []
  for (const name of names) {
    const stats = await stat(join(absolute, name)).catch(() => null)
    if (stats === null) continue
    entries.push({
      name,
      type: stats.isDirectory() ? 'directory' : 'file',
      size: stats.isDirectory() ? 0 : stats.size,
      modified: stats.mtime.toISOString(),
    })
  }
  return { path: relative, entries }
}

/** True when the Accept header asks for JSON rather than anything else. */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false
  return accept
    .split(',')
    .some((item) => item.split(';')[0].trim().toLowerCase() === 'application/json')
}
