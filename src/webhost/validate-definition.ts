/**
 * Checks a site definition before anything starts, so that a bad one fails
 * with an error naming what to change and leaves nothing behind.
 *
 * @module
 */
import { httpsUnsupported, invalidDefinition } from './errors.js'
import type { SiteDefinition } from './site-definition.js'

/** Site names become file names in the state dir. */
const SITE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/**
 * @throws WebhostError ERR_WEBHOST_INVALID_DEFINITION, ERR_WEBHOST_HTTPS_UNSUPPORTED
 */
export function validateSiteDefinition(def: SiteDefinition): void {
  if (!SITE_NAME.test(def.name)) {
    throw invalidDefinition(
      `site name "${def.name}" must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    )
  }
  if (def.bindings.length === 0) throw invalidDefinition('a site needs at least one binding')
  for (const binding of def.bindings) {
    if (binding.protocol === 'https') throw httpsUnsupported(binding.port)
    if (binding.protocol !== 'http') {
      throw invalidDefinition(`binding protocol "${String(binding.protocol)}" must be "http"`)
    }
    if (!Number.isInteger(binding.port) || binding.port < 0 || binding.port > 65535) {
      throw invalidDefinition(`binding port ${binding.port} must be an integer from 0 to 65535`)
    }
  }
  validatePools(def)
  validateApplications(def)
}

function validatePools(def: SiteDefinition): void {
  if (def.pools.length === 0) throw invalidDefinition('a site needs at least one application pool')
  const keys = new Set<string>()
  for (const pool of def.pools) {
    if (keys.has(pool.key))
      throw invalidDefinition(`application pool "${pool.key}" is defined twice`)
    keys.add(pool.key)
  }
}

function validateApplications(def: SiteDefinition): void {
  if (def.applications.length === 0)
    throw invalidDefinition('a site needs at least one application')
  const aliases = new Set<string>()
  for (const app of def.applications) {
    if (!isUrlPath(app.alias)) {
      throw invalidDefinition(
        `application alias "${app.alias}" must start with "/" and not end with "/"`,
      )
    }
    const lower = app.alias.toLowerCase()
    if (aliases.has(lower))
      throw invalidDefinition(`two applications have the alias "${app.alias}"`)
    aliases.add(lower)
    if (!def.pools.some((p) => p.key === app.pool)) {
      throw invalidDefinition(`application "${app.alias}" refers to undefined pool "${app.pool}"`)
    }
    if (!app.physicalPath.startsWith('/')) {
      throw invalidDefinition(`application "${app.alias}" physical path must be absolute`)
    }
    for (const vdir of app.virtualDirectories) {
      if (!isUrlPath(vdir.alias) || vdir.alias === '/') {
        throw invalidDefinition(
          `virtual directory alias "${vdir.alias}" must start with "/" and name a path`,
        )
      }
      if (!vdir.physicalPath.startsWith('/')) {
        throw invalidDefinition(`virtual directory "${vdir.alias}" physical path must be absolute`)
      }
    }
  }
}

function isUrlPath(alias: string): boolean {
  return alias === '/' || (alias.startsWith('/') && !alias.endsWith('/'))
}
