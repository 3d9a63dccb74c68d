/**
 * Plans the allocs of each task group (`count` of them, as Nomad places
 * them) before anything is created on disk: a fresh alloc id, the group's ports, and per task its env, its `config`
 * decoded with the plugin's own spec and encoded as cty msgpack, and the
 * TaskConfig a Nomad client would send. Planning touches nothing, so a bad
 * job fails here with nothing to clean up.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'

import { AllocDir } from './alloc-dir.js'
import { encodeCtyMsgpack } from './cty-msgpack.js'
import { jobInvalidError, taskConfigError } from './errors.js'
import { decodeHclConfig } from './hcldec.js'
import type { HclSpec } from './hcldec.js'
import type { GroupSpec, JobSpec, TaskSpec } from './job-spec.js'
import { allocatePorts } from './port-allocator.js'
import type { AllocatedPort } from './port-allocator.js'
import { buildTaskEnv } from './task-env.js'
import type { WireTaskConfig } from './driver-plugin.js'

export const DRIVER_NAME = 'iis'
const DEV_NULL = '/dev/null'

export interface PlannedTask {
  spec: TaskSpec
  /** `<alloc_id>/<task>/<8 hex>`, as Nomad forms it. */
  taskId: string
  /** The decoded config (hcldec output), for the URLs. */
  decoded: Record<string, unknown>
  env: Record<string, string>
  wire: WireTaskConfig
}

export interface PlannedAlloc {
  allocId: string
  /** NOMAD_ALLOC_INDEX: 0 to count - 1 within the group. */
  index: number
  group: GroupSpec
  dir: AllocDir
  ports: AllocatedPort[]
  tasks: PlannedTask[]
}

export interface PlanInput {
  job: JobSpec
  taskSpec: HclSpec
  allocsDir: string
  hostIp: string
  nodeId: string
  hostEnv: NodeJS.ProcessEnv
}

/**
 * Plans every group that has at least one `iis` task.
 *
 * @throws RunnerError `ERR_RUNNER_TASK_CONFIG` naming the task when its
 *   config fails the plugin's spec; `ERR_RUNNER_PORT_UNAVAILABLE`.
 */
export async function planAllocs(input: PlanInput): Promise<PlannedAlloc[]> {
  const taken = new Set<number>()
  const allocs: PlannedAlloc[] = []
  for (const group of input.job.groups) {
    const tasks = group.tasks.filter((t) => t.driver === DRIVER_NAME)
    if (tasks.length === 0) continue
    const staticPort = group.ports.find((p) => p.staticPort !== null)
    if (group.count > 1 && staticPort !== undefined) {
      throw jobInvalidError(
        `group "${group.name}": count = ${group.count} with static port "${staticPort.label}" cannot run on one machine; use a dynamic port or count = 1`,
      )
    }
    for (let index = 0; index < group.count; index++) {
      const allocId = randomUUID()
      const dir = new AllocDir(input.allocsDir, allocId)
      const ports = await allocatePorts(group.ports, input.hostIp, taken)
      const alloc: PlannedAlloc = { allocId, index, group, dir, ports, tasks: [] }
      for (const task of tasks) alloc.tasks.push(planTask(input, alloc, task))
      allocs.push(alloc)
    }
  }
  return allocs
}

function planTask(input: PlanInput, alloc: PlannedAlloc, task: TaskSpec): PlannedTask {
  const { job } = input
  const { env } = buildTaskEnv({
    jobId: job.id,
    jobName: job.name,
    namespace: job.namespace,
    region: job.region,
    datacenter: job.datacenter,
    groupName: alloc.group.name,
    taskName: task.name,
    allocId: alloc.allocId,
    allocIndex: alloc.index,
    sharedAllocDir: alloc.dir.sharedDir,
    taskDirs: alloc.dir.taskDirs(task.name),
    ports: alloc.ports,
    cpuMhz: task.cpuMhz,
    memoryMb: task.memoryMb,
    memoryMaxMb: task.memoryMaxMb,
    meta: { ...job.meta, ...alloc.group.meta, ...task.meta },
    taskEnv: task.env,
    hostEnv: input.hostEnv,
    nodeId: input.nodeId,
  })
  const decoded = decodeConfig(input.taskSpec, task, env)
  const taskId = `${alloc.allocId}/${task.name}/${randomBytes(4).toString('hex')}`
  return {
    spec: task,
    taskId,
    decoded,
    env,
    wire: buildWire(input, alloc, task, taskId, env, decoded),
  }
}

function decodeConfig(spec: HclSpec, task: TaskSpec, env: Record<string, string>) {
  try {
    return decodeHclConfig(spec, task.config, { variables: env }) as Record<string, unknown>
  } catch (err) {
    throw taskConfigError(task.name, err instanceof Error ? err.message : String(err), err)
  }
}

function buildWire(
  input: PlanInput,
  alloc: PlannedAlloc,
  task: TaskSpec,
  taskId: string,
  env: Record<string, string>,
  decoded: Record<string, unknown>,
): WireTaskConfig {
  const logs = alloc.dir.logsDir
  const memoryLimitMb = Math.max(task.memoryMb, task.memoryMaxMb)
  return {
    id: taskId,
    name: task.name,
    msgpack_driver_config: encodeCtyMsgpack(decoded as never),
    env,
    device_env: {},
    resources: {
      allocated_resources: {
        cpu: { cpu_shares: task.cpuMhz },
        memory: { memory_mb: task.memoryMb, memory_max_mb: task.memoryMaxMb },
        networks: [],
      },
      linux_resources: { cpu_shares: task.cpuMhz, memory_limit_bytes: memoryLimitMb * 1024 * 1024 },
      ports: alloc.ports.map((p) => ({
        label: p.label,
        value: p.value,
        to: p.to,
        host_ip: p.hostIp,
      })),
    },
    mounts: [],
    devices: [],
    user: task.user,
    alloc_dir: alloc.dir.path,
    // With `logs { disabled = true }` Nomad runs no logmon and hands the driver /dev/null.
    stdout_path: task.logs.isDisabled ? DEV_NULL : join(logs, `.${task.name}.stdout.fifo`),
    stderr_path: task.logs.isDisabled ? DEV_NULL : join(logs, `.${task.name}.stderr.fifo`),
    task_group_name: alloc.group.name,
    job_name: input.job.name,
    alloc_id: alloc.allocId,
    job_id: input.job.id,
    namespace: input.job.namespace,
    node_name: hostname(),
    node_id: input.nodeId,
  }
}
