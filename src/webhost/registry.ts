/**
 * The registry: one JSON file per running site under `<stateDir>/sites/`,
 * and one exit record per ended site under `<stateDir>/exits/`. It plays the
 * part of IIS's configuration store and is what the debug endpoint reads.
 *
 * @module
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { exitRecordPath, registryPath, sitesDir } from './state-paths.js'
import type { SiteExitRecord } from './control-protocol.js'
import type { SiteDefinition } from './site-definition.js'

/** What a running site host records about itself. */
export interface RegistryEntry {
  definition: SiteDefinition
  pid: number
  controlSocketPath: string
  startedAt: string
}

/** Every registry entry in the state dir, sorted by site name; unreadable files are skipped. */
export async function readRegistry(stateDir: string): Promise<RegistryEntry[]> {
  let names: string[]
  try {
    names = await readdir(sitesDir(stateDir))
  } catch (err) {
    if (isNotFound(err)) return []
    throw err
  }
  const entries: RegistryEntry[] = []
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const entry = await readJson<RegistryEntry>(`${sitesDir(stateDir)}/${name}`)
    if (entry !== null) entries.push(entry)
  }
  return entries
}

/** The record the site host left when it exited, or null when it has not exited (or never ran). */
export async function readExitRecord(
  stateDir: string,
  siteName: string,
): Promise<SiteExitRecord | null> {
  return readJson<SiteExitRecord>(exitRecordPath(stateDir, siteName))
}

export async function writeRegistryEntry(stateDir: string, entry: RegistryEntry): Promise<void> {
  await writeJsonAtomic(registryPath(stateDir, entry.definition.name), entry)
}

export async function removeRegistryEntry(stateDir: string, siteName: string): Promise<void> {
  await rm(registryPath(stateDir, siteName), { force: true })
}

export async function writeExitRecord(
  stateDir: string,
  siteName: string,
  record: SiteExitRecord,
): Promise<void> {
  await writeJsonAtomic(exitRecordPath(stateDir, siteName), record)
}

export async function removeExitRecord(stateDir: string, siteName: string): Promise<void> {
  await rm(exitRecordPath(stateDir, siteName), { force: true })
}

/** True when a process with this pid exists (signal 0 probes without sending). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Readers never see half a file: write beside it, then rename over it. */
async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.tmp`
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`)
  await rename(temp, path)
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T
  } catch (err) {
    if (isNotFound(err) || err instanceof SyntaxError) return null
    throw err
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT'
}
