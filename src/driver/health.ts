/**
 * Whether this host can run sites: what the fingerprint reports.
 *
 * @module
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DriverConfig } from './types.js'

/** Node.js version the site hosts need. */
const MIN_NODE_VERSION: readonly [number, number] = [20, 10]

/** Why the driver cannot run sites here, or null when it can. */
export async function checkHostHealth(config: DriverConfig): Promise<string | null> {
  if (!config.isEnabled) return 'the driver is disabled by the plugin config (enabled = false)'
  if (process.platform !== 'linux')
    return `the driver runs sites on linux only, not on ${process.platform}`
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  if (
    major < MIN_NODE_VERSION[0] ||
    (major === MIN_NODE_VERSION[0] && minor < MIN_NODE_VERSION[1])
  ) {
    return `node.js ${process.versions.node} is too old: site hosts need ${MIN_NODE_VERSION.join('.')} or later`
  }
  return checkStateDir(config.stateDir)
}

async function checkStateDir(stateDir: string): Promise<string | null> {
  const probe = join(stateDir, `.probe-${process.pid}`)
  try {
    await mkdir(stateDir, { recursive: true })
    await writeFile(probe, '')
    await rm(probe, { force: true })
    await access(stateDir)
    return null
  } catch (err) {
    return `the state dir ${stateDir} is not writable: ${(err as Error).message}`
  }
}
