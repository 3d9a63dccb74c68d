/**
 * Maps a validated task config and Nomad's task facts to the web host's
 * SiteDefinition: names, pools with IIS defaults, resolved paths, the task
 * environment and the log paths.
 *
 * @module
 */
import { isAbsolute, join, resolve, sep } from 'node:path'
import { DEFAULT_POOL_NAME } from './config.js'
import { DriverError } from './errors.js'
import { buildPoolName, buildSiteName } from './names.js'
import { POOL_DEFAULTS } from '../webhost/site-definition.js'
import type { ApplicationSettings, PoolSettings, TaskSettings } from './config.js'
import type { TaskConfig } from './types.js'
import type {
  ApplicationDefinition,
  HostedProgramDefinition,
  PoolDefinition,
  SiteDefinition,
} from '../webhost/site-definition.js'

export interface SiteMappingOptions {
  /** Folder served as the root application when the job defines none. */
  placeholderDir: string
}

/**
 * Builds the site a task runs as.
 *
 * @throws {DriverError} ERR_DRIVER_NAME_TOO_LONG when a site or pool name exceeds 64 characters
 */
export function buildSiteDefinition(
  settings: TaskSettings,
  task: TaskConfig,
  options: SiteMappingOptions,
): SiteDefinition {
  checkTaskName(task.name)
  const siteName = buildSiteName(task.allocId, task.name)
  const taskDir = join(task.allocDir, task.name)
  checkPathsStayInAllocDir(settings, task.allocDir, taskDir)
  const applications = withRootApplication(settings.applications, options.placeholderDir)
  const poolSettings = usedPools(settings.pools, applications)

  return {
    name: siteName,
    owner: {
      allocId: task.allocId,
      taskName: task.name,
      taskId: task.id,
      jobName: task.jobName,
      jobId: task.jobId,
      namespace: task.namespace,
      taskGroupName: task.taskGroupName,
    },
    bindings: settings.bindings.map((binding) => ({
      protocol: binding.protocol,
      port: binding.port,
      ipAddress: binding.ipAddress,
      hostname: binding.hostname,
    })),
    applications: applications.map((app) => toApplicationDefinition(app, poolSettings, taskDir)),
    pools: poolSettings.map((pool) => toPoolDefinition(pool, siteName, task.env)),
    stdoutPath: task.stdoutPath || null,
    stderrPath: task.stderrPath || null,
  }
}

/**
 * The task name is part of every path of the task (`<allocDir>/<task>`):
 * one that would leave or break a path is refused, as Nomad refuses slashes.
 */
function checkTaskName(name: string): void {
  if (name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name)) return
  throw new DriverError(
    'ERR_DRIVER_INVALID_VALUE',
    `task name "${name.replace(/\0/g, '\\0')}" cannot be used in a path: rename the task without "/", "\\" or NUL`,
  )
}

/**
 * Relative application and virtual directory paths start at the task dir
 * and may reach the rest of the alloc dir (`../alloc/data`), never beyond:
 * a job must not serve, or have the placeholder written into, any folder of
 * the host. Absolute paths are the operator's choice and used as given.
 */
function checkPathsStayInAllocDir(settings: TaskSettings, allocDir: string, taskDir: string) {
  const root = resolve(allocDir)
  const paths = settings.applications.flatMap((app, index) => [
    { path: app.path, where: `application #${index + 1}` },
    ...app.virtualDirectories.map((vdir) => ({
      path: vdir.path,
      where: `application #${index + 1} > virtual_directory "${vdir.alias}"`,
    })),
  ])
  for (const { path, where } of paths) {
    if (isAbsolute(path)) continue
    const resolved = resolve(taskDir, path)
    if (resolved === root || resolved.startsWith(root + sep)) continue
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"path" in ${where} is "${path}", which leads out of the alloc dir: keep relative paths ` +
        `inside it (e.g. "local/site" or "../alloc/data/site") or give an absolute path`,
    )
  }
}

/** Resolves a job path as the IIS driver does: relative paths start at `<allocDir>/<task>`. */
export function resolveTaskPath(taskDir: string, path: string): string {
  return isAbsolute(path) ? resolve(path) : resolve(taskDir, path)
}

// Without a root application IIS would serve the site root from
// inetpub\wwwroot; we serve the placeholder app there instead.
function withRootApplication(
  applications: ApplicationSettings[],
  placeholderDir: string,
): ApplicationSettings[] {
  if (applications.some((app) => app.alias === '/')) return applications
  const root: ApplicationSettings = {
    alias: '/',
    path: placeholderDir,
    pool: DEFAULT_POOL_NAME,
    enablePreload: false,
    virtualDirectories: [],
    program: null,
  }
  return [root, ...applications]
}

// Defined pools plus an implicit `default` when an application uses it
// without a block of that name; `default` first.
function usedPools(pools: PoolSettings[], applications: ApplicationSettings[]): PoolSettings[] {
  const hasDefault = pools.some((pool) => pool.name.toLowerCase() === DEFAULT_POOL_NAME)
  const needsDefault = applications.some((app) => app.pool.toLowerCase() === DEFAULT_POOL_NAME)
  const all = !hasDefault && needsDefault ? [implicitDefaultPool(), ...pools] : [...pools]
  return all.sort((a, b) => Number(isDefault(b)) - Number(isDefault(a)))
}

function isDefault(pool: PoolSettings): boolean {
  return pool.name.toLowerCase() === DEFAULT_POOL_NAME
}

function implicitDefaultPool(): PoolSettings {
  return {
    name: DEFAULT_POOL_NAME,
    startMode: null,
    idleTimeoutMs: null,
    disableOverlappedRecycle: null,
    periodicRestartMs: null,
    serviceUnavailableResponse: null,
    queueLength: null,
    maxProcesses: null,
    startTimeLimitMs: null,
    shutdownTimeLimitMs: null,
  }
}

function toApplicationDefinition(
  app: ApplicationSettings,
  pools: PoolSettings[],
  taskDir: string,
): ApplicationDefinition {
  // Validation guaranteed the pool exists; match its spelling case-insensitively.
  const pool = pools.find((candidate) => candidate.name.toLowerCase() === app.pool.toLowerCase())
  return {
    alias: app.alias,
    physicalPath: resolveTaskPath(taskDir, app.path),
    pool: poolKey(pool?.name ?? app.pool),
    enablePreload: app.enablePreload,
    virtualDirectories: app.virtualDirectories.map((vdir) => ({
      alias: vdir.alias,
      physicalPath: resolveTaskPath(taskDir, vdir.path),
    })),
    program: toProgramDefinition(app, taskDir),
  }
}

/** The job's own program block; a web.config is read by the site host itself. */
function toProgramDefinition(
  app: ApplicationSettings,
  taskDir: string,
): HostedProgramDefinition | null {
  if (app.program === null) return null
  const workingDirectory = resolveTaskPath(taskDir, app.path)
  const { command, args, portEnv } = app.program
  const isRelative = command.includes('/') && !isAbsolute(command)
  return {
    command: isRelative ? resolve(workingDirectory, command) : command,
    args,
    portEnv,
    env: {},
    workingDirectory,
  }
}

function poolKey(name: string): string {
  return name.toLowerCase() === DEFAULT_POOL_NAME ? DEFAULT_POOL_NAME : name
}

function toPoolDefinition(
  pool: PoolSettings,
  siteName: string,
  env: Record<string, string>,
): PoolDefinition {
  const key = poolKey(pool.name)
  return {
    key,
    name: buildPoolName(siteName, key),
    startMode: pool.startMode ?? POOL_DEFAULTS.startMode,
    idleTimeoutMs: pool.idleTimeoutMs ?? POOL_DEFAULTS.idleTimeoutMs,
    queueLength: pool.queueLength ?? POOL_DEFAULTS.queueLength,
    maxProcesses: pool.maxProcesses ?? 1,
    startTimeLimitMs: pool.startTimeLimitMs ?? POOL_DEFAULTS.startTimeLimitMs,
    shutdownTimeLimitMs: pool.shutdownTimeLimitMs ?? POOL_DEFAULTS.shutdownTimeLimitMs,
    periodicRestartMs: pool.periodicRestartMs ?? POOL_DEFAULTS.periodicRestartMs,
    disableOverlappedRecycle:
      pool.disableOverlappedRecycle ?? POOL_DEFAULTS.disableOverlappedRecycle,
    serviceUnavailableResponse:
      pool.serviceUnavailableResponse ?? POOL_DEFAULTS.serviceUnavailableResponse,
    rapidFailProtection: { ...POOL_DEFAULTS.rapidFailProtection },
    env: { ...env },
  }
}
