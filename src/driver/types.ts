/**
 * The driver core's public surface: what plugin/ (gRPC) and management/
 * (HTTP) call. Shapes follow Nomad's TaskConfig and handle messages, in
 * camelCase; the transports translate.
 *
 * @module
 */
import type { PoolStatus, SiteEvent } from '../webhost/control-protocol.js'

/** A port the alloc was given (Nomad's PortMapping). */
export interface PortMapping {
  label: string
  value: number
  to: number
}

/** What Nomad hands the driver to start a task (TaskConfig, decoded). */
export interface TaskConfig {
  /** `<allocId>/<task>/<8 hex>`, new for every start. */
  id: string
  name: string
  /** The task's `config` block, decoded with TaskConfigSchema (spec output keys). */
  driverConfig: Record<string, unknown>
  env: Record<string, string>
  allocDir: string
  stdoutPath: string
  stderrPath: string
  taskGroupName: string
  jobName: string
  jobId: string
  allocId: string
  namespace: string
  ports: PortMapping[]
  /** Host IP the alloc's ports are reserved on (from the network resources), if any. */
  networkIp: string | null
  memoryMb: number
  cpuShares: number
}

/** The agent's `plugin "nomad_iis" { config { ... } }`, decoded. */
export interface DriverConfig {
  isEnabled: boolean
  fingerprintIntervalMs: number
  directorySecurity: boolean
  allowedTargetWebsites: string[]
  allowedAppPoolIdentities: string[]
  allowedAppPoolUsers: string[]
  placeholderAppPath: string | null
  procdump: { binaryPath: string; acceptEula: boolean }
  stateDir: string
  chromiumPath: string
  /** The `management_api` block: overrides of the Management API's limits; absent keys keep its defaults. */
  managementApi?: ManagementApiLimits
}

/** Limits of the Management API an operator may set in the agent config. */
export interface ManagementApiLimits {
  maxBodyBytes?: number
  maxZipEntries?: number
  maxUncompressedBytes?: number
  maxCompressionRatio?: number
  screenshotTimeoutMs?: number
  procdumpTimeoutMs?: number
}

/** What the driver keeps in Nomad's handle to find a task again. */
export interface TaskHandleState {
  /** Bumped on every incompatible change of `driverState`. */
  version: number
  /** Opaque to Nomad: the driver's own encoding. */
  driverState: Uint8Array
}

export interface ExitResult {
  exitCode: number
  signal: number
  isOomKilled: boolean
  /** Empty when the task ended cleanly. */
  error: string
}

export type TaskState = 'running' | 'exited' | 'unknown'

export interface TaskStatus {
  id: string
  name: string
  state: TaskState
  startedAt: Date
  completedAt: Date | null
  exitResult: ExitResult | null
}

export interface ProcessUsage {
  pid: number
  /** Resident set size. */
  rssBytes: number
  /** CPU time used so far (user + system). */
  cpuTotalMs: number
  cpuUserMs: number
  cpuSystemMs: number
  /** Percent of one core since the previous sample of this pid. */
  cpuPercent: number
}

export interface TaskUsage {
  at: Date
  processes: ProcessUsage[]
}

/** A task event the driver emits (Nomad's DriverTaskEvent). */
export interface TaskEvent {
  taskId: string
  allocId: string
  taskName: string
  at: Date
  message: string
  annotations: Record<string, string>
}

/** One running (or exited) task as management/ sees it. */
export interface TaskHandleView {
  taskId: string
  allocId: string
  taskName: string
  taskGroupName: string
  jobId: string
  jobName: string
  namespace: string
  /** `<allocDir>/<taskName>`: where the Management API's paths start. */
  taskDir: string
  siteName: string
  /** Full pool names; the `default` pool first when there is one. */
  poolNames: string[]
  isRecovered: boolean
  /** An http URL that reaches the site's root from this machine, for screenshots. */
  siteUrl: string | null
}

/** Site and pool names found in the host's registry, for the debug endpoint. */
export interface HostResources {
  sites: string[]
  pools: string[]
}

/** The methods the transports call. Errors are DriverError (see errors.ts). */
export interface DriverApi {
  setConfig(config: DriverConfig): void
  /** Why the driver can't run sites, or null when it is healthy. */
  checkHealth(): Promise<string | null>
  startTask(config: TaskConfig): Promise<TaskHandleState>
  recoverTask(config: TaskConfig, handle: TaskHandleState): Promise<void>
  waitTask(taskId: string, signal?: AbortSignal): Promise<ExitResult>
  stopTask(taskId: string, timeoutMs: number, signalName: string): Promise<void>
  destroyTask(taskId: string, isForced: boolean): Promise<void>
  inspectTask(taskId: string): TaskStatus
  taskStats(taskId: string): Promise<TaskUsage>
  signalTask(taskId: string, signalName: string): Promise<void>
  onEvent(listener: (event: TaskEvent) => void): () => void
  /** For management/: a live handle by alloc id and task name. */
  findTask(allocId: string, taskName: string): TaskHandleView | undefined
  listTasks(): TaskHandleView[]
  poolStatus(taskId: string): Promise<PoolStatus[]>
  /** `poolKeys` names some of the task's pools (their keys); absent means all of them. */
  startPools(taskId: string, poolKeys?: readonly string[]): Promise<PoolStatus[]>
  stopPools(taskId: string, poolKeys?: readonly string[]): Promise<PoolStatus[]>
  recyclePools(taskId: string, poolKeys?: readonly string[]): Promise<PoolStatus[]>
  listHostResources(): Promise<HostResources>
  /** Closes connections to site hosts; sites keep running. */
  close(): Promise<void>
}

export type { SiteEvent }
