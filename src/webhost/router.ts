/**
 * Routing, as IIS does it: a request path picks the application with the
 * longest matching alias (case-insensitive), then inside it the virtual
 * directory with the longest matching alias, which gives the physical root.
 * Used by the site host (which pool gets a connection) and by the workers
 * (which files answer a request).
 *
 * @module
 */
import type { ApplicationDefinition, SiteDefinition } from './site-definition.js'

export interface Route {
  application: ApplicationDefinition
  pool: string
  /** URL path of the root the file path is relative to (application or virtual directory). */
  rootAlias: string
  physicalRoot: string
  /** The rest of the path below `rootAlias`, starting with `/` (or empty for the bare alias). */
  rest: string
}

interface Mount {
  aliasLower: string
  alias: string
  physicalPath: string
}

interface CompiledApp {
  application: ApplicationDefinition
  aliasLower: string
  /** Virtual directories then the application itself, longest alias first. */
  mounts: Mount[]
}

/** A site's routing table, built once per definition. */
export class Router {
  #apps: CompiledApp[]

  constructor(def: SiteDefinition) {
    this.#apps = def.applications
      .map((application) => compileApp(application))
      .sort((a, b) => b.aliasLower.length - a.aliasLower.length)
  }

  /** The route for a decoded URL path, or null when no application matches. */
  route(path: string): Route | null {
    const lower = path.toLowerCase()
    for (const app of this.#apps) {
      if (!isUnder(lower, app.aliasLower)) continue
      for (const mount of app.mounts) {
        if (!isUnder(lower, mount.aliasLower)) continue
        const rest = mount.alias === '/' ? path : path.slice(mount.alias.length)
        return {
          application: app.application,
          pool: app.application.pool,
          rootAlias: mount.alias,
          physicalRoot: mount.physicalPath,
          rest,
        }
      }
    }
    return null
  }

  /** Just the pool key for a path; cheaper than a full route. */
  poolFor(path: string): string | null {
    const lower = path.toLowerCase()
    for (const app of this.#apps) {
      if (isUnder(lower, app.aliasLower)) return app.application.pool
    }
    return null
  }
}

function compileApp(application: ApplicationDefinition): CompiledApp {
  const aliasLower = application.alias.toLowerCase()
  const mounts: Mount[] = application.virtualDirectories.map((v) => ({
    aliasLower: joinAlias(application.alias, v.alias).toLowerCase(),
    alias: joinAlias(application.alias, v.alias),
    physicalPath: v.physicalPath,
  }))
  mounts.push({ aliasLower, alias: application.alias, physicalPath: application.physicalPath })
  mounts.sort((a, b) => b.aliasLower.length - a.aliasLower.length)
  return { application, aliasLower, mounts }
}

/**
 * A virtual directory's alias is a URL path below the site root; one given
 * relative to its application (not starting with the application's alias)
 * is placed under it, as IIS's configuration nests it.
 */
function joinAlias(appAlias: string, vdirAlias: string): string {
  if (appAlias === '/') return vdirAlias
  const lower = vdirAlias.toLowerCase()
  if (isUnder(lower, appAlias.toLowerCase())) return vdirAlias
  return `${appAlias}${vdirAlias}`
}

function isUnder(pathLower: string, aliasLower: string): boolean {
  if (aliasLower === '/') return true
  if (!pathLower.startsWith(aliasLower)) return false
  return pathLower.length === aliasLower.length || pathLower.charCodeAt(aliasLower.length) === 47
}
