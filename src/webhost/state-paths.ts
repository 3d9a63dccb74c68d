/**
 * Where a site host keeps its files under the state directory: the registry
 * entry, the exit record and its Unix sockets.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Linux's sun_path holds 108 bytes including the terminating NUL; a longer
 * socket path cannot be bound, so long state dirs fall back to the temp dir.
 */
const MAX_SOCKET_PATH_BYTES = 107

export function sitesDir(stateDir: string): string {
  return join(stateDir, 'sites')
}

export function exitsDir(stateDir: string): string {
  return join(stateDir, 'exits')
}

export function registryPath(stateDir: string, siteName: string): string {
  return join(sitesDir(stateDir), `${siteName}.json`)
}

export function exitRecordPath(stateDir: string, siteName: string): string {
  return join(exitsDir(stateDir), `${siteName}.json`)
}

/** Short, stable file stem for a site: socket paths must stay under the sun_path limit. */
export function siteStem(siteName: string): string {
  return createHash('sha256').update(siteName).digest('hex').slice(0, 16)
}

/** Directory holding the site's sockets, chosen so that every socket path fits sun_path. */
export function socketDir(stateDir: string): string {
  const preferred = join(stateDir, 'run')
  const longest = join(preferred, `${'0'.repeat(16)}.fwd.sock`)
  if (Buffer.byteLength(longest) <= MAX_SOCKET_PATH_BYTES) return preferred
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0
  return join(tmpdir(), `nomad-iis-${uid}`, siteStem(stateDir))
}

export function controlSocketPath(stateDir: string, siteName: string): string {
  return join(socketDir(stateDir), `${siteStem(siteName)}.sock`)
}

/** The site host's own listener for requests a worker hands back (another pool's path). */
export function internalSocketPath(stateDir: string, siteName: string): string {
  return join(socketDir(stateDir), `${siteStem(siteName)}.fwd.sock`)
}
