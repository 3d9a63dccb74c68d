/**
 * Translation between the protobuf messages (plain objects as
 * @grpc/proto-loader gives them, field names as in proto/) and the driver
 * core's types. Transport only: no decisions are made here.
 *
 * @module
 */
import type { ExitResult, PortMapping, TaskConfig, TaskEvent, TaskStatus } from '../driver/types.js'
import { PluginError } from './errors.js'
import { decodeMsgpackConfig } from './msgpack-config.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = Record<string, any>

export interface ProtoTimestamp {
  seconds: number
  nanos: number
}

/** Go's zero time, which Go drivers send for "not yet" (0001-01-01T00:00:00Z). */
export const GO_ZERO_TIME: ProtoTimestamp = { seconds: -62135596800, nanos: 0 }

/** The driver's TaskConfig from a StartTask/RecoverTask TaskConfig message. */
export function toTaskConfig(task: Message | null | undefined): TaskConfig {
  if (task === null || task === undefined || typeof task.id !== 'string' || task.id === '') {
    throw new PluginError('ERR_PLUGIN_BAD_REQUEST', 'the task config has no id; send TaskConfig.id')
  }
  const resources = (task.resources ?? {}) as Message
  const allocated = (resources.allocated_resources ?? {}) as Message
  const networks = (allocated.networks ?? []) as Message[]
  const bytes = (task.msgpack_driver_config ?? Buffer.alloc(0)) as Uint8Array
  return {
    id: task.id,
    name: str(task.name),
    driverConfig: decodeMsgpackConfig(bytes, 'the task config (msgpack_driver_config)'),
    env: { ...((task.env ?? {}) as Record<string, string>) },
    allocDir: str(task.alloc_dir),
    stdoutPath: str(task.stdout_path),
    stderrPath: str(task.stderr_path),
    taskGroupName: str(task.task_group_name),
    jobName: str(task.job_name),
    jobId: str(task.job_id),
    allocId: str(task.alloc_id),
    namespace: str(task.namespace),
    ports: ((resources.ports ?? []) as Message[]).map(toPortMapping),
    networkIp: networkIp(resources, networks),
    memoryMb: Number(allocated.memory?.memory_mb ?? 0),
    cpuShares: Number(allocated.cpu?.cpu_shares ?? 0),
  }
}

function toPortMapping(port: Message): PortMapping {
  return { label: str(port.label), value: Number(port.value ?? 0), to: Number(port.to ?? 0) }
}

function networkIp(resources: Message, networks: Message[]): string | null {
  const fromPorts = ((resources.ports ?? []) as Message[]).find((p) => str(p.host_ip) !== '')
  if (fromPorts !== undefined) return str(fromPorts.host_ip)
  const fromNetworks = networks.find((n) => str(n.ip) !== '')
  return fromNetworks === undefined ? null : str(fromNetworks.ip)
}

export function toExitResultMessage(result: ExitResult | null): Message {
  if (result === null) return { exit_code: 0, signal: 0, oom_killed: false }
  return { exit_code: result.exitCode, signal: result.signal, oom_killed: result.isOomKilled }
}

export function toTimestamp(at: Date | null): ProtoTimestamp {
  if (at === null || Number.isNaN(at.getTime())) return GO_ZERO_TIME
  const ms = at.getTime()
  const seconds = Math.floor(ms / 1000)
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 }
}

export function fromDuration(duration: Message | null | undefined, fallbackMs: number): number {
  if (duration === null || duration === undefined) return fallbackMs
  return Number(duration.seconds ?? 0) * 1000 + Math.floor(Number(duration.nanos ?? 0) / 1e6)
}

export function toTaskStatusMessage(status: TaskStatus): Message {
  return {
    id: status.id,
    name: status.name,
    state: status.state.toUpperCase(),
    started_at: toTimestamp(status.startedAt),
    completed_at: toTimestamp(status.completedAt),
    result: toExitResultMessage(status.exitResult),
  }
}

export function toEventMessage(event: TaskEvent): Message {
  return {
    task_id: event.taskId,
    alloc_id: event.allocId,
    task_name: event.taskName,
    timestamp: toTimestamp(event.at),
    message: event.message,
    annotations: { ...event.annotations },
  }
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : ''
}
