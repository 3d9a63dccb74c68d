/**
 * What the runner needs from a driver plugin, in the Nomad client's terms:
 * one method per RPC it calls, with the wire messages' field names
 * (snake_case, as in driver.proto). The only implementation talks to the
 * plugin process over the real plugin protocol (see plugin-connection.ts);
 * this interface keeps the runner's sequencing readable and separate from
 * the transport.
 *
 * @module
 */
import type { HclSpec } from './hcldec.js'

/** PortMapping (driver.proto). */
export interface WirePortMapping {
  label: string
  value: number
  to: number
  host_ip: string
}

/** TaskConfig (driver.proto), the fields a Nomad client fills. */
export interface WireTaskConfig {
  id: string
  name: string
  msgpack_driver_config: Uint8Array
  env: Record<string, string>
  device_env: Record<string, string>
  resources: {
    allocated_resources: {
      cpu: { cpu_shares: number }
      memory: { memory_mb: number; memory_max_mb: number }
      networks: never[]
    }
    linux_resources: { cpu_shares: number; memory_limit_bytes: number }
    ports: WirePortMapping[]
  }
  mounts: never[]
  devices: never[]
  user: string
  alloc_dir: string
  stdout_path: string
  stderr_path: string
  task_group_name: string
  job_name: string
  alloc_id: string
  job_id: string
  namespace: string
  node_name: string
  node_id: string
}

/** TaskHandle (driver.proto) as StartTask returned it: kept opaque, given back to RecoverTask. */
export type TaskHandle = Record<string, unknown>

/** ExitResult plus WaitTaskResponse.err. */
export interface TaskExit {
  exitCode: number
  signal: number
  isOomKilled: boolean
  /** Non-empty when the task ended with an error. */
  err: string
}

/** DriverTaskEvent. */
export interface DriverEvent {
  taskId: string
  allocId: string
  taskName: string
  at: Date
  message: string
  annotations: Record<string, string>
}

/** The aggregate of one TaskStatsResponse. */
export interface TaskUsageSample {
  rssBytes: number
  cpuPercent: number
}

export interface DriverPlugin {
  /** The agent config spec (ConfigSchema), or null when the plugin takes none. */
  configSchema(): Promise<HclSpec | null>
  setConfig(msgpackConfig: Uint8Array): Promise<void>
  taskConfigSchema(): Promise<HclSpec>
  /** Rejects with the plugin's gRPC error message when the start fails. */
  startTask(config: WireTaskConfig): Promise<TaskHandle>
  /** RecoverTask with the handle StartTask gave, as after a plugin restart. */
  recoverTask(handle: TaskHandle): Promise<void>
  waitTask(taskId: string): Promise<TaskExit>
  stopTask(taskId: string, timeoutMs: number, signal: string): Promise<void>
  destroyTask(taskId: string, isForced: boolean): Promise<void>
  /** Opens the TaskStats stream; returns a function that cancels it. */
  watchStats(taskId: string, intervalMs: number, onSample: (s: TaskUsageSample) => void): () => void
  /** Opens the TaskEvents stream; returns a function that cancels it. */
  watchEvents(onEvent: (e: DriverEvent) => void): () => void
  /** Driver.Shutdown, GRPCController.Shutdown, then the process is ended. */
  shutdown(): Promise<void>
}
