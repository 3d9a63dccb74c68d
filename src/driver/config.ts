/**
 * The agent config and the task config: their hclspecs (what Nomad decodes
 * with) and their validation, both derived from the one definition in
 * config-schema.ts.
 *
 * @module
 */
import { isAbsolute } from 'node:path'
import { decodeObject, type DecodeContext, type DecodedObject } from './config-decode.js'
import { DRIVER_CONFIG_DEF, TASK_CONFIG_DEF } from './config-schema.js'
import { DriverError } from './errors.js'
import { toHclSpec, type HclSpec } from './hcl-spec.js'
import type { ServiceUnavailableResponse, StartMode } from '../webhost/site-definition.js'
import type { DriverConfig, ManagementApiLimits, PortMapping } from './types.js'

/** The hclspec the plugin returns from TaskConfigSchema. */
export const TASK_CONFIG_SPEC: HclSpec = toHclSpec(TASK_CONFIG_DEF)

/** The hclspec the plugin returns from ConfigSchema. */
export const DRIVER_CONFIG_SPEC: HclSpec = toHclSpec(DRIVER_CONFIG_DEF)

/** IIS limits a pool's short name to 8 characters. */
export const MAX_POOL_NAME_LENGTH = 8

/** The pool every application uses unless it names another. */
export const DEFAULT_POOL_NAME = 'default'

/** One `applicationPool` block; null means "IIS default" (POOL_DEFAULTS). */
export interface PoolSettings {
  name: string
  startMode: StartMode | null
  idleTimeoutMs: number | null
  disableOverlappedRecycle: boolean | null
  periodicRestartMs: number | null
  serviceUnavailableResponse: ServiceUnavailableResponse | null
  queueLength: number | null
  /** IIS processModel.maxProcesses: static workers serving the pool at once. */
  maxProcesses: number | null
  startTimeLimitMs: number | null
  shutdownTimeLimitMs: number | null
}

export interface VirtualDirectorySettings {
  /** `/docs`: relative to its application. */
  alias: string
  path: string
}

export interface ApplicationSettings {
  /** `/` for the root application, `/name` otherwise. */
  alias: string
  /** As written in the job: resolved against the task directory later. */
  path: string
  pool: string
  enablePreload: boolean
  virtualDirectories: VirtualDirectorySettings[]
  /** Ours: the program that serves the application, when the job names one. */
  program: ProgramSettings | null
}

export interface ProgramSettings {
  command: string
  args: string[]
  portEnv: string
}

export interface BindingSettings {
  protocol: 'http'
  port: number
  /** The port label it was given by, or null for a static port. */
  portLabel: string | null
  hostname: string | null
  ipAddress: string | null
}

/** A validated task config. */
export interface TaskSettings {
  pools: PoolSettings[]
  applications: ApplicationSettings[]
  bindings: BindingSettings[]
  /** Windows-only options that were set (`block.key`): they have no effect here. */
  ignoredOptions: string[]
}

export interface TaskConfigContext {
  /** The alloc's ports; binding labels must be among them. */
  ports: readonly PortMapping[]
  /** For the allowed_apppool_* checks; absent means the defaults. */
  driverConfig?: Pick<DriverConfig, 'allowedAppPoolIdentities' | 'allowedAppPoolUsers'>
}

/**
 * Validates a decoded task config (hcldec output: every spec key present,
 * null when unset) and returns typed settings.
 *
 * @throws {DriverError} an ERR_DRIVER_* code naming the key and block at fault
 */
export function parseTaskConfig(decoded: unknown, ctx: TaskConfigContext): TaskSettings {
  const decodeCtx: DecodeContext = { ignoredOptions: new Set() }
  const config = decodeObject(TASK_CONFIG_DEF, decoded, 'config', 'config', decodeCtx)

  if (config.target_website !== null) {
    throw new DriverError(
      'ERR_DRIVER_UNSUPPORTED_OPTION',
      `target_website "${String(config.target_website)}" is not supported on linux: every site belongs to one task; remove target_website`,
    )
  }

  const poolBlocks = [...blocks(config.applicationPools), ...blocks(config.application_pools)]
  const pools = poolBlocks.map((block, index) => toPoolSettings(block, index, ctx))
  checkUniquePools(pools)

  const applications = blocks(config.applications).map((block, index) =>
    toApplication(block, index),
  )
  checkApplications(applications, pools)

  const bindings = blocks(config.bindings).map((block, index) => toBinding(block, index, ctx.ports))
  if (bindings.length === 0) {
    throw new DriverError(
      'ERR_DRIVER_BLOCK_COUNT',
      'config has no binding block, so the site could not be reached: add binding { type = "http" port = "<port label>" }',
    )
  }

  return { pools, applications, bindings, ignoredOptions: [...decodeCtx.ignoredOptions] }
}

/**
 * Validates the decoded agent config (`plugin "nomad_iis" { config { } }`).
 *
 * @throws {DriverError} an ERR_DRIVER_* code naming the key at fault
 */
export function parseDriverConfig(decoded: unknown): DriverConfig {
  const config = decodeObject(DRIVER_CONFIG_DEF, decoded, 'plugin config', 'config', {
    ignoredOptions: new Set(),
  })
  const procdump = blocks(config.procdumps)[0]
  const stateDir = config.state_dir as string
  if (!isAbsolute(stateDir)) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"state_dir" in plugin config is "${stateDir}"; give an absolute path`,
    )
  }
  const fingerprintIntervalMs = config.fingerprint_interval as number
  if (fingerprintIntervalMs < 1000) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"fingerprint_interval" in plugin config is ${fingerprintIntervalMs}ms; use at least 1s`,
    )
  }

  return {
    isEnabled: config.enabled as boolean,
    fingerprintIntervalMs,
    directorySecurity: config.directory_security as boolean,
    allowedTargetWebsites: (config.allowed_target_websites as string[] | null) ?? [],
    allowedAppPoolIdentities: (config.allowed_apppool_identities as string[] | null) ?? [
      'ApplicationPoolIdentity',
    ],
    allowedAppPoolUsers: (config.allowed_apppool_users as string[] | null) ?? [],
    placeholderAppPath: config.placeholder_app_path as string | null,
    procdump: {
      binaryPath: (procdump?.binary_path as string | undefined) ?? '/usr/bin/procdump',
      acceptEula: (procdump?.accept_eula as boolean | undefined) ?? false,
    },
    stateDir,
    chromiumPath: config.chromium_path as string,
    managementApi: toManagementLimits(blocks(config.management_apis)[0]),
  }
}

const MANAGEMENT_LIMIT_KEYS = [
  ['max_body_bytes', 'maxBodyBytes'],
  ['max_zip_entries', 'maxZipEntries'],
  ['max_uncompressed_bytes', 'maxUncompressedBytes'],
  ['max_compression_ratio', 'maxCompressionRatio'],
  ['screenshot_timeout', 'screenshotTimeoutMs'],
  ['procdump_timeout', 'procdumpTimeoutMs'],
] as const

function toManagementLimits(block: DecodedObject | undefined): ManagementApiLimits {
  const limits: ManagementApiLimits = {}
  for (const [key, name] of MANAGEMENT_LIMIT_KEYS) {
    const value = block?.[key] as number | null | undefined
    if (value === null || value === undefined) continue
    if (!(value > 0)) {
      throw new DriverError(
        'ERR_DRIVER_INVALID_VALUE',
        `"${key}" in management_api is ${value}; use a value above 0`,
      )
    }
    limits[name] = value
  }
  return limits
}

function blocks(value: DecodedObject[keyof DecodedObject]): DecodedObject[] {
  return Array.isArray(value) ? (value as DecodedObject[]) : []
}

function toPoolSettings(block: DecodedObject, index: number, ctx: TaskConfigContext): PoolSettings {
  const where = `applicationPool #${index + 1}`
  const name = (block.name as string).trim()
  if (name.length === 0) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"name" in ${where} is empty; give the pool a short name`,
    )
  }
  if (name.length > MAX_POOL_NAME_LENGTH) {
    throw new DriverError(
      'ERR_DRIVER_POOL_NAME_TOO_LONG',
      `application pool name "${name}" in ${where} is ${name.length - MAX_POOL_NAME_LENGTH} characters too long: use at most ${MAX_POOL_NAME_LENGTH}`,
    )
  }
  checkIdentity(block, where, ctx)

  const queueLength = block.queue_length as number | null
  if (queueLength !== null && (!Number.isInteger(queueLength) || queueLength < 1)) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"queue_length" in ${where} is ${queueLength}; use a whole number of at least 1`,
    )
  }

  const maxProcesses = block.max_processes as number | null
  if (
    maxProcesses !== null &&
    (!Number.isInteger(maxProcesses) || maxProcesses < 1 || maxProcesses > 64)
  ) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"max_processes" in ${where} is ${maxProcesses}; use a whole number from 1 to 64`,
    )
  }

  return {
    name,
    startMode: block.start_mode as StartMode | null,
    idleTimeoutMs: block.idle_timeout as number | null,
    disableOverlappedRecycle: block.disable_overlapped_recycle as boolean | null,
    periodicRestartMs: block.periodic_restart as number | null,
    serviceUnavailableResponse:
      block.service_unavailable_response as ServiceUnavailableResponse | null,
    queueLength,
    maxProcesses,
    startTimeLimitMs: block.start_time_limit as number | null,
    shutdownTimeLimitMs: block.shutdown_time_limit as number | null,
  }
}

// The identity has no effect on Linux, but the agent's allow-lists are a
// policy the operator set: a job that breaks it is refused as on Windows.
function checkIdentity(block: DecodedObject, where: string, ctx: TaskConfigContext): void {
  const identity = block.identity as string | null
  if (identity === null) return
  const allowedIdentities = ctx.driverConfig?.allowedAppPoolIdentities ?? [
    'ApplicationPoolIdentity',
  ]
  if (
    !allowedIdentities.some(
      (allowed) => allowed === '*' || allowed.toLowerCase() === identity.toLowerCase(),
    )
  ) {
    throw new DriverError(
      'ERR_DRIVER_IDENTITY_NOT_ALLOWED',
      `identity "${identity}" in ${where} is not allowed on this node (allowed_apppool_identities: ${allowedIdentities.join(', ') || 'none'})`,
    )
  }
  if (identity !== 'SpecificUser') return
  const username = block.username as string | null
  const allowedUsers = ctx.driverConfig?.allowedAppPoolUsers ?? []
  if (
    username === null ||
    !allowedUsers.some(
      (allowed) => allowed === '*' || allowed.toLowerCase() === username.toLowerCase(),
    )
  ) {
    throw new DriverError(
      'ERR_DRIVER_IDENTITY_NOT_ALLOWED',
      `username "${username ?? ''}" in ${where} is not allowed on this node: add it to allowed_apppool_users in the plugin config`,
    )
  }
}

function checkUniquePools(pools: PoolSettings[]): void {
  const seen = new Set<string>()
  for (const pool of pools) {
    const key = pool.name.toLowerCase()
    if (seen.has(key)) {
      throw new DriverError(
        'ERR_DRIVER_DUPLICATE_POOL',
        `application pool "${pool.name}" is defined twice: give each applicationPool block its own name`,
      )
    }
    seen.add(key)
  }
}

function toApplication(block: DecodedObject, index: number): ApplicationSettings {
  const where = `application #${index + 1}`
  const path = (block.path as string).trim()
  if (path.length === 0) {
    throw new DriverError(
      'ERR_DRIVER_MISSING_ATTRIBUTE',
      `"path" in ${where} is empty: give the folder of the application, e.g. path = "local"`,
    )
  }
  const virtualDirectories = blocks(block.virtual_directories).map((vdir, vdirIndex) => ({
    alias: normaliseAlias(vdir.alias as string),
    path: (vdir.path as string).trim(),
    where: `${where} > virtual_directory #${vdirIndex + 1}`,
  }))
  for (const vdir of virtualDirectories) {
    if (vdir.alias !== '/') continue
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"alias" in ${vdir.where} names no path: give the URL path below the application, e.g. alias = "docs"`,
    )
  }
  checkUniqueAliases(virtualDirectories, 'virtual directory')

  return {
    alias: normaliseAlias(block.alias as string | null),
    path,
    pool: (block.application_pool as string).trim(),
    enablePreload: (block.enable_preload as boolean | null) ?? false,
    virtualDirectories: virtualDirectories.map(({ alias, path: vdirPath }) => ({
      alias,
      path: vdirPath,
    })),
    program: toProgram(blocks(block.programs)[0], where),
  }
}

function toProgram(block: DecodedObject | undefined, where: string): ProgramSettings | null {
  if (block === undefined) return null
  const command = (block.command as string).trim()
  if (command.length === 0) {
    throw new DriverError(
      'ERR_DRIVER_MISSING_ATTRIBUTE',
      `"command" in ${where} > program is empty: name the program to run, e.g. command = "node"`,
    )
  }
  const portEnv = ((block.port_env as string | null) ?? 'PORT').trim()
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(portEnv)) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"port_env" in ${where} > program is "${portEnv}": give an environment variable name such as PORT`,
    )
  }
  return { command, args: (block.args as string[] | null) ?? [], portEnv }
}

/** `sub`, `/sub`, `/sub/` -> `/sub`; unset, empty or `/` -> `/`. */
export function normaliseAlias(alias: string | null): string {
  const trimmed = (alias ?? '').trim().replace(/^\/+|\/+$/g, '')
  return `/${trimmed}`
}

function checkApplications(applications: ApplicationSettings[], pools: PoolSettings[]): void {
  checkUniqueAliases(
    applications.map((app, index) => ({ alias: app.alias, where: `application #${index + 1}` })),
    'application',
  )
  const poolNames = new Set(pools.map((pool) => pool.name.toLowerCase()))
  applications.forEach((app, index) => {
    if (app.pool.toLowerCase() === DEFAULT_POOL_NAME || poolNames.has(app.pool.toLowerCase()))
      return
    throw new DriverError(
      'ERR_DRIVER_UNDEFINED_POOL',
      `application #${index + 1} refers to application pool "${app.pool}", which no applicationPool block defines: add applicationPool { name = "${app.pool}" } or correct application_pool`,
    )
  })
}

function checkUniqueAliases(items: { alias: string; where: string }[], what: string): void {
  const seen = new Map<string, string>()
  for (const item of items) {
    // IIS paths are case-insensitive, so /App and /app are the same application.
    const key = item.alias.toLowerCase()
    const first = seen.get(key)
    if (first !== undefined) {
      throw new DriverError(
        'ERR_DRIVER_DUPLICATE_ALIAS',
        `${item.where} uses the ${what} alias "${item.alias}" that ${first} already uses: give each ${what} its own alias`,
      )
    }
    seen.set(key, item.where)
  }
}

function toBinding(
  block: DecodedObject,
  index: number,
  ports: readonly PortMapping[],
): BindingSettings {
  const where = `binding #${index + 1}`
  if (block.type === 'https') {
    throw new DriverError(
      'ERR_DRIVER_HTTPS_UNSUPPORTED',
      `${where} has type = "https", which is not supported yet: use type = "http"`,
    )
  }
  const portText = (block.port as string).trim()
  const mapping = ports.find((port) => port.label === portText)
  const staticPort = /^\d+$/.test(portText) ? Number(portText) : null
  const port = mapping?.value ?? staticPort
  if (port === null || port < 1 || port > 65_535) {
    const labels = ports.map((p) => p.label).join(', ') || 'none'
    throw new DriverError(
      'ERR_DRIVER_PORT_LABEL_NOT_FOUND',
      `port "${portText}" in ${where} is neither a port label of the alloc (labels: ${labels}) nor a port number: add port "${portText}" {} to the group's network block or correct the label`,
    )
  }
  return {
    protocol: 'http',
    port,
    portLabel: mapping ? mapping.label : null,
    hostname: nonEmpty(block.hostname as string | null),
    ipAddress: nonEmpty(block.ip_address as string | null),
  }
}

function nonEmpty(value: string | null): string | null {
  const trimmed = value?.trim() ?? ''
  return trimmed.length > 0 ? trimmed : null
}
