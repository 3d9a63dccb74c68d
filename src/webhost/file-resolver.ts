/**
 * Maps a URL path below an application (or virtual directory) root to a
 * file, as IIS would on Windows: an exact match first, otherwise a
 * case-insensitive one; directories get IIS's default documents in IIS's
 * order; nothing resolves outside the root, symlinks included.
 *
 * Metadata calls are synchronous on purpose: they are answered from the
 * kernel's dentry cache in microseconds, and hot files never reach here
 * because the file cache answers them first.
 *
 * @module
 */
import { readdirSync, realpathSync, statSync } from 'node:fs'
import type { Stats } from 'node:fs'

/** IIS's default documents, in IIS's order. */
export const DEFAULT_DOCUMENTS = [
  'Default.htm',
  'Default.asp',
  'index.htm',
  'index.html',
  'iisstart.htm',
]

export type Resolution =
  | { kind: 'file'; filePath: string; stats: Stats }
  /** A directory asked for without its trailing slash. */
  | { kind: 'redirect' }
  /** A directory without a default document: IIS refuses to list it (403.14). */
  | { kind: 'forbidden' }
  | { kind: 'not-found' }

export class FileResolver {
  /** Real paths of roots, so that symlink checks cost one realpath per file. */
  #realRoots = new Map<string, string>()

  /** Resolves `rest` (a normalized path starting with `/`, or empty) below `root`. */
  resolve(root: string, rest: string): Resolution {
    const isDirRequest = rest.endsWith('/')
    const found = this.#lookup(root, rest)
    if (found === null) return { kind: 'not-found' }
    if (found.stats.isDirectory()) {
      if (!isDirRequest) return { kind: 'redirect' }
      return this.#defaultDocument(root, found.path)
    }
    if (isDirRequest || !found.stats.isFile()) return { kind: 'not-found' }
    if (!this.#isInside(root, found.path)) return { kind: 'not-found' }
    return { kind: 'file', filePath: found.path, stats: found.stats }
  }

  #defaultDocument(root: string, dir: string): Resolution {
    for (const name of DEFAULT_DOCUMENTS) {
      const found = this.#lookup(dir, `/${name}`)
      if (found === null || !found.stats.isFile()) continue
      if (!this.#isInside(root, found.path)) continue
      return { kind: 'file', filePath: found.path, stats: found.stats }
    }
    if (!this.#isInside(root, dir)) return { kind: 'not-found' }
    return { kind: 'forbidden' }
  }

  /** Exact path first; only when it does not exist, walk the segments case-insensitively. */
  #lookup(root: string, rest: string): { path: string; stats: Stats } | null {
    const exact = root + rest
    const stats = statOrNull(exact)
    if (stats !== null) return { path: exact, stats }
    let current = root
    for (const segment of rest.split('/')) {
      if (segment === '') continue
      const match = findEntry(current, segment)
      if (match === null) return null
      current = `${current}/${match}`
    }
    const folded = statOrNull(current)
    return folded === null ? null : { path: current, stats: folded }
  }

  /** True when the real path of `path` is the root or below it: symlinks cannot leave the app. */
  #isInside(root: string, path: string): boolean {
    let realRoot = this.#realRoots.get(root)
    try {
      if (realRoot === undefined) {
        realRoot = realpathSync(root)
        this.#realRoots.set(root, realRoot)
      }
      const real = realpathSync(path)
      return real === realRoot || real.startsWith(`${realRoot}/`)
    } catch {
      return false
    }
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch {
    return null
  }
}

function findEntry(dir: string, segment: string): string | null {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return null
  }
  const lower = segment.toLowerCase()
  return names.find((name) => name.toLowerCase() === lower) ?? null
}
