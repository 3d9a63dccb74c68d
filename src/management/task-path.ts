/**
 * Paths of the fs endpoints: relative to the task directory and never
 * outside it. A path arrives as one encoded segment (`local%2Findex.html`)
 * or as several plain ones; either way it is decoded once, split on `/` and
 * `\` (Windows clients), and refused when it is absolute, holds a `..`
 * segment in any spelling (also double-encoded), holds NUL, or passes
 * through a symlink that leads out of the task directory.
 *
 * @module
 */
import { lstat, realpath } from 'node:fs/promises'
import { join, sep } from 'node:path'
import { BadPathError } from './errors.js'

/** How many times a segment is decoded to look for a hidden `..`. */
const MAX_DECODE_ROUNDS = 3

export interface TaskPath {
  /** `/`-joined pieces, `''` for the task directory itself. */
  relative: string
  pieces: string[]
  absolute: string
  /** The path ended in `/*` or `/*.*` (DELETE empties the folder). */
  isWildcard: boolean
}

/**
 * Splits the raw (still encoded) path after `fs/` into checked pieces.
 *
 * @throws BadPathError ERR_MANAGEMENT_BAD_PATH
 */
export function parseFsPath(rawPath: string): { pieces: string[]; isWildcard: boolean } {
  const rawSegments = rawPath === '' ? [] : rawPath.split('/')
  if (rawSegments.length > 1 && rawSegments[0] === '') {
    throw new BadPathError('absolute paths are refused: give a path relative to the task directory')
  }
  const pieces: string[] = []
  for (const raw of rawSegments) pieces.push(...splitSegment(raw, pieces.length === 0))
  const last = pieces.at(-1)
  const isWildcard = last === '*' || last === '*.*'
  return { pieces: isWildcard ? pieces.slice(0, -1) : pieces, isWildcard }
}

/**
 * Resolves checked pieces under the task directory, refusing symlinks that
 * lead out of it.
 *
 * @throws BadPathError ERR_MANAGEMENT_BAD_PATH
 */
export async function resolveTaskPath(
  taskDir: string,
  parsed: { pieces: string[]; isWildcard: boolean },
): Promise<TaskPath> {
  const root = await realpath(taskDir)
  let current = root
  for (const piece of parsed.pieces) {
    current = join(current, piece)
    const stats = await lstat(current).catch(() => null)
    if (stats === null) break
    if (stats.isSymbolicLink()) await requireInside(root, current, parsed.pieces.join('/'))
  }
  return {
    relative: parsed.pieces.join('/'),
    pieces: parsed.pieces,
    absolute: join(root, ...parsed.pieces),
    isWildcard: parsed.isWildcard,
  }
}

/** True when `candidate` is `root` or lies below it. */
export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(sep) ? root : root + sep)
}

function splitSegment(raw: string, isFirst: boolean): string[] {
  const decoded = decodeSegment(raw)
  const pieces = decoded.split(/[/\\]/)
  if (isFirst && (decoded.startsWith('/') || decoded.startsWith('\\'))) {
    throw new BadPathError('absolute paths are refused: give a path relative to the task directory')
  }
  if (isFirst && /^[a-zA-Z]:/.test(decoded)) {
    throw new BadPathError(`drive letters are refused in '${decoded}': give a relative path`)
  }
  return pieces.filter((piece) => piece !== '' && piece !== '.')
}

function decodeSegment(raw: string): string {
  const decoded = tryDecode(raw)
  if (decoded === null)
    throw new BadPathError(`the path segment '${raw}' is not valid URL encoding`)
  // Further rounds only look for a `..` or NUL hidden by double encoding.
  let value: string | null = decoded
  for (let round = 0; round < MAX_DECODE_ROUNDS && value !== null; round++) {
    checkPieces(value, raw)
    const next = tryDecode(value)
    value = next === value ? null : next
  }
  return decoded
}

function tryDecode(value: string): string | null {
  try {
    return decodeURIComponent(value)
  } catch {
    return null
  }
}

function checkPieces(decoded: string, shown: string): void {
  if (decoded.includes('\0')) throw new BadPathError('NUL bytes are refused in paths')
  for (const piece of decoded.split(/[/\\]/)) {
    if (piece === '..') {
      throw new BadPathError(
        `'..' is refused in paths ('${shown}'): give a path inside the task directory`,
      )
    }
  }
}

async function requireInside(root: string, path: string, shown: string): Promise<void> {
  const target = await realpath(path).catch(() => null)
  if (target === null || !isInside(root, target)) {
    throw new BadPathError(
      `'${shown}' passes through a symlink that leads out of the task directory`,
    )
  }
}
