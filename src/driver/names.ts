/**
 * Names of a task's site and pools: `nomad-<allocId>-<task>`, and for a pool
 * other than `default` a `-<poolName>` suffix, as the IIS driver names them.
 *
 * @module
 */
import { DriverError } from './errors.js'
import { DEFAULT_POOL_NAME } from './config.js'

/** Prefix of every site and pool the driver creates; the debug endpoint looks for it. */
export const NAME_PREFIX = 'nomad-'

/** IIS limits site and application pool names to 64 characters. */
export const MAX_NAME_LENGTH = 64

// Names end up in file names (registry, control sockets), so only a
// conservative set of characters is kept; everything else becomes `_`.
const UNSAFE_CHARACTERS = /[^A-Za-z0-9._-]/g

/**
 * The site's name, which is also the `default` pool's name.
 *
 * @throws {DriverError} ERR_DRIVER_NAME_TOO_LONG saying by how much
 */
export function buildSiteName(allocId: string, taskName: string): string {
  return checkLength(sanitiseName(`${NAME_PREFIX}${allocId}-${taskName}`), 'site')
}

/**
 * A pool's full name from the site name and the pool's short name.
 *
 * @throws {DriverError} ERR_DRIVER_NAME_TOO_LONG saying by how much
 */
export function buildPoolName(siteName: string, poolKey: string): string {
  if (poolKey.toLowerCase() === DEFAULT_POOL_NAME) return siteName
  return checkLength(sanitiseName(`${siteName}-${poolKey}`), 'application pool')
}

/** Replaces every character a site or pool name cannot hold with `_`. */
export function sanitiseName(raw: string): string {
  return raw.replace(UNSAFE_CHARACTERS, '_')
}

function checkLength(name: string, what: string): string {
  if (name.length <= MAX_NAME_LENGTH) return name
  throw new DriverError(
    'ERR_DRIVER_NAME_TOO_LONG',
    `${what} name "${name}" is ${name.length - MAX_NAME_LENGTH} characters too long (the limit is ${MAX_NAME_LENGTH}): shorten the task name or the pool name`,
  )
}
