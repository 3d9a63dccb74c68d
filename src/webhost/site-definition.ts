/**
 * The web host's model: a site with bindings and applications, served by
 * application pools. This is the contract between driver/ (which builds a
 * definition from a Nomad task) and the site host process (which serves it).
 * It knows nothing about Nomad beyond the optional owner record.
 *
 * @module
 */

/** An application pool's state, spelled as IIS spells it. */
export type PoolState = 'Starting' | 'Started' | 'Stopping' | 'Stopped' | 'Unknown'

/** OnDemand (IIS default): the worker starts on the first request. */
export type StartMode = 'OnDemand' | 'AlwaysRunning'

/** What a stopped pool does with a request: answer 503, or drop the connection. */
export type ServiceUnavailableResponse = 'HttpLevel' | 'TcpLevel'

/** Rapid-fail protection: this many crashes within the interval stop the pool. */
export interface RapidFailProtection {
  isEnabled: boolean
  maxCrashes: number
  intervalMs: number
}

export interface PoolDefinition {
  /** The pool's short name from the job (`default`, `poolA`): what routes refer to. */
  key: string
  /** The full name, `nomad-<allocId>-<task>[-<key>]`. */
  name: string
  startMode: StartMode
  /** Workers stop after this long without a request; 0 never. */
  idleTimeoutMs: number
  /** Requests waiting for a worker beyond this many get 503 at once. */
  queueLength: number
  startTimeLimitMs: number
  shutdownTimeLimitMs: number
  /** An overlapped recycle every this many ms; 0 never. */
  periodicRestartMs: number
  disableOverlappedRecycle: boolean
  serviceUnavailableResponse: ServiceUnavailableResponse
  rapidFailProtection: RapidFailProtection
  /** Environment given to the pool's worker processes (the task's env). */
  env: Record<string, string>
  /**
   * Worker processes serving the pool at once (IIS processModel.maxProcesses;
   * above 1 is a web garden, connections shared round-robin). Default 1.
   */
  maxProcesses?: number
}

export interface BindingDefinition {
  protocol: 'http' | 'https'
  port: number
  /** Address to listen on; null means all interfaces. */
  ipAddress: string | null
  /** Host header a request must carry; null accepts any. */
  hostname: string | null
}

export interface VirtualDirectoryDefinition {
  /** URL path below the site root, e.g. `/docs`. */
  alias: string
  physicalPath: string
}

/** A program the pool runs and proxies to (issue: hosted programs). */
export interface HostedProgramDefinition {
  command: string
  args: string[]
  /** Environment variable that tells the program its port (e.g. ASPNETCORE_PORT). */
  portEnv: string
  env: Record<string, string>
  workingDirectory: string
}

export interface ApplicationDefinition {
  /** URL path, `/` for the root application; no trailing slash otherwise. */
  alias: string
  physicalPath: string
  /** Key of the pool serving this application. */
  pool: string
  enablePreload: boolean
  virtualDirectories: VirtualDirectoryDefinition[]
  /** Set when the application is served by a program of its own. */
  program: HostedProgramDefinition | null
}

/** Who a site belongs to; null for sites started outside Nomad. */
export interface SiteOwner {
  allocId: string
  taskName: string
  taskId: string
  jobName: string
  jobId: string
  namespace: string
  taskGroupName: string
}

export interface SiteDefinition {
  name: string
  owner: SiteOwner | null
  bindings: BindingDefinition[]
  applications: ApplicationDefinition[]
  pools: PoolDefinition[]
  /** Where the site host and its workers write their output; null discards it. */
  stdoutPath: string | null
  stderrPath: string | null
}

/** IIS's defaults for a pool's settings, in our units. */
export const POOL_DEFAULTS = {
  startMode: 'OnDemand',
  idleTimeoutMs: 20 * 60_000,
  queueLength: 1000,
  startTimeLimitMs: 90_000,
  shutdownTimeLimitMs: 90_000,
  periodicRestartMs: 1740 * 60_000,
  disableOverlappedRecycle: false,
  serviceUnavailableResponse: 'HttpLevel',
  rapidFailProtection: { isEnabled: true, maxCrashes: 5, intervalMs: 5 * 60_000 },
} as const satisfies Omit<PoolDefinition, 'key' | 'name' | 'env'>
