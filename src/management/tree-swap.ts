/**
 * Moves staged files into a target folder so that a failure at any step
 * puts the target back exactly as it was: every rename is journalled and a
 * failure replays the journal backwards. Whatever the upload displaces
 * (with clean=true: everything; otherwise files it replaces) goes to a
 * backup folder on the same file system, deleted only after success.
 * Renames only: the staged data is never copied.
 *
 * @module
 */
import { lstat, mkdir, readdir, rename, rmdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ConflictError } from './errors.js'

export interface SwapPlan {
  /** Folder whose contents go into the target. */
  stagingDir: string
  /** Folder that receives them; created (with its parents) when missing. */
  targetDir: string
  /** Empty folder on the same file system for what gets displaced. */
  backupDir: string
  /** Empty the target first. */
  isClean: boolean
  /** Names in the target that clean keeps (our own work folder). */
  keepNames?: string[]
}

type Undo = () => Promise<void>

/**
 * Swaps the staged tree in; on failure undoes every step and rethrows.
 *
 * @throws ConflictError when the target is a file
 */
export async function swapIn(plan: SwapPlan): Promise<void> {
  const journal: Undo[] = []
  try {
    await ensureTargetDir(plan.targetDir, journal)
    if (plan.isClean) await moveChildrenAside(plan, journal)
    const counter = { value: 0 }
    await merge(plan.stagingDir, plan.targetDir, plan.backupDir, counter, journal)
  } catch (err) {
    await rollBack(journal)
    throw err
  }
}

async function ensureTargetDir(targetDir: string, journal: Undo[]): Promise<void> {
  const stats = await lstat(targetDir).catch(() => null)
  if (stats !== null && !stats.isDirectory()) {
    throw new ConflictError(`the upload target is a file, not a folder: delete it or pick a folder`)
  }
  if (stats !== null) return
  const firstMade = await mkdir(targetDir, { recursive: true }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTDIR' && err.code !== 'EEXIST') throw err
      throw new ConflictError(
        'a file stands where the upload needs a folder: delete it or pick another path',
      )
    },
  )
  if (firstMade !== undefined) journal.push(() => removeEmptyChain(targetDir, firstMade))
}

async function moveChildrenAside(plan: SwapPlan, journal: Undo[]): Promise<void> {
  const keep = new Set(plan.keepNames ?? [])
  for (const name of await readdir(plan.targetDir)) {
    if (keep.has(name)) continue
    await journalledRename(
      join(plan.targetDir, name),
      join(plan.backupDir, `clean-${name}`),
      journal,
    )
  }
}

async function merge(
  fromDir: string,
  toDir: string,
  backupDir: string,
  counter: { value: number },
  journal: Undo[],
): Promise<void> {
  // Sorted, so the order of steps (and of any undo) does not depend on the file system.
  for (const name of (await readdir(fromDir)).sort()) {
    const source = join(fromDir, name)
    const target = join(toDir, name)
    const targetStats = await lstat(target).catch(() => null)
    if (targetStats === null) {
      await journalledRename(source, target, journal)
      continue
    }
    const sourceStats = await lstat(source)
    if (sourceStats.isDirectory() && targetStats.isDirectory()) {
      await merge(source, target, backupDir, counter, journal)
      continue
    }
    await journalledRename(target, join(backupDir, `replaced-${counter.value++}`), journal)
    await journalledRename(source, target, journal)
  }
}

async function journalledRename(from: string, to: string, journal: Undo[]): Promise<void> {
  await rename(from, to)
  journal.push(() => rename(to, from))
}

async function rollBack(journal: Undo[]): Promise<void> {
  for (const undo of journal.reverse()) {
    // Best effort: one failed undo must not stop the others.
    await undo().catch(() => undefined)
  }
}

/** Removes the folders mkdir made, deepest first, down to `firstMade`. */
async function removeEmptyChain(deepest: string, firstMade: string): Promise<void> {
  let current = deepest
  while (current.length >= firstMade.length) {
    await rmdir(current)
    if (current === firstMade) return
    current = join(current, '..')
  }
}
