/**
 * A task's environment as a Nomad client builds it (client/taskenv): the
 * NOMAD_* variables, the ports, the meta, the agent's own environment minus
 * Nomad's default deny list, then the task's `env` block interpolated with
 * all of those. Node attributes (`node.*`, `attr.*`) are there for
 * interpolation only, as in Nomad.
 *
 * @module
 */
import { arch, hostname } from 'node:os'

import type { AllocatedPort } from './port-allocator.js'
import type { TaskDirs } from './alloc-dir.js'

/** Nomad's default `client.options["env.denylist"]`: secrets of the agent never reach tasks. */
const HOST_ENV_DENYLIST = new Set([
  'CONSUL_TOKEN',
  'CONSUL_HTTP_TOKEN',
  'CONSUL_HTTP_TOKEN_FILE',
  'NOMAD_TOKEN',
  'NOMAD_LICENSE',
  'VAULT_TOKEN',
  'VAULT_LICENSE',
  'CONSUL_LICENSE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'GOOGLE_APPLICATION_CREDENTIALS',
])

/** Everything a task's environment is built from. */
export interface TaskEnvInput {
  jobId: string
  jobName: string
  namespace: string
  region: string
  datacenter: string
  groupName: string
  taskName: string
  allocId: string
  allocIndex: number
  /** `<alloc>/alloc` on the host (the plugin has no filesystem isolation). */
  sharedAllocDir: string
  taskDirs: TaskDirs
  ports: AllocatedPort[]
  cpuMhz: number
  memoryMb: number
  memoryMaxMb: number
  /** Job, group and task meta merged, the task's winning. */
  meta: Record<string, string>
  /** The task's `env` block, not interpolated yet. */
  taskEnv: Record<string, string>
  hostEnv: NodeJS.ProcessEnv
  nodeId: string
}

/** The env map the TaskConfig carries, and the node attributes for interpolation. */
export interface TaskEnvironment {
  env: Record<string, string>
  nodeAttrs: Record<string, string>
}

export function buildTaskEnv(input: TaskEnvInput): TaskEnvironment {
  const nodeAttrs = buildNodeAttrs(input)
  const env: Record<string, string> = { ...buildNomadVars(input), ...buildPortVars(input.ports) }
  for (const [key, value] of Object.entries(input.meta)) {
    env[cleanEnvName(`NOMAD_META_${key}`)] = value
    env[cleanEnvName(`NOMAD_META_${key.toUpperCase()}`)] = value
  }
  for (const [key, value] of Object.entries(input.hostEnv)) {
    if (value !== undefined && !HOST_ENV_DENYLIST.has(key) && !(key in env)) env[key] = value
  }
  const vars = { ...env, ...nodeAttrs }
  for (const [key, value] of Object.entries(input.taskEnv)) env[key] = replaceEnv(value, vars)
  return { env, nodeAttrs }
}

/**
 * Nomad's `ReplaceEnv`: every `${name}` whose name is known is replaced; an
 * unknown one is left as written.
 */
export function replaceEnv(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z0-9_.-]+)\}/g, (whole, name: string) => vars[name] ?? whole)
}

function buildNomadVars(input: TaskEnvInput): Record<string, string> {
  return {
    NOMAD_ALLOC_DIR: input.sharedAllocDir,
    NOMAD_TASK_DIR: input.taskDirs.local,
    NOMAD_SECRETS_DIR: input.taskDirs.secrets,
    NOMAD_MEMORY_LIMIT: String(input.memoryMb),
    ...(input.memoryMaxMb > 0 ? { NOMAD_MEMORY_MAX_LIMIT: String(input.memoryMaxMb) } : {}),
    NOMAD_CPU_LIMIT: String(input.cpuMhz),
    NOMAD_ALLOC_ID: input.allocId,
    NOMAD_SHORT_ALLOC_ID: input.allocId.slice(0, 8),
    NOMAD_ALLOC_NAME: `${input.jobName}.${input.groupName}[${input.allocIndex}]`,
    NOMAD_ALLOC_INDEX: String(input.allocIndex),
    NOMAD_GROUP_NAME: input.groupName,
    NOMAD_TASK_NAME: input.taskName,
    NOMAD_JOB_ID: input.jobId,
    NOMAD_JOB_NAME: input.jobName,
    NOMAD_DC: input.datacenter,
    NOMAD_NAMESPACE: input.namespace,
    NOMAD_REGION: input.region,
  }
}

/** The variables Nomad sets per group port (taskenv `addPorts`). */
function buildPortVars(ports: AllocatedPort[]): Record<string, string> {
  const vars: Record<string, string> = {}
  for (const port of ports) {
    const host = String(port.value)
    const inTask = String(port.to > 0 ? port.to : port.value)
    const addr = port.hostIp.includes(':') ? `[${port.hostIp}]:${host}` : `${port.hostIp}:${host}`
    const set = (prefix: string, value: string) => (vars[cleanEnvName(prefix + port.label)] = value)
    set('NOMAD_ADDR_', addr)
    set('NOMAD_HOST_ADDR_', addr)
    set('NOMAD_IP_', port.hostIp)
    set('NOMAD_HOST_IP_', port.hostIp)
    set('NOMAD_PORT_', inTask)
    set('NOMAD_ALLOC_PORT_', inTask)
    set('NOMAD_HOST_PORT_', host)
  }
  return vars
}

function buildNodeAttrs(input: TaskEnvInput): Record<string, string> {
  return {
    'node.unique.id': input.nodeId,
    'node.unique.name': hostname(),
    'node.datacenter': input.datacenter,
    'node.region': input.region,
    'node.class': '',
    'attr.kernel.name': 'linux',
    'attr.os.name': 'linux',
    'attr.cpu.arch': arch() === 'x64' ? 'amd64' : arch(),
    'attr.unique.hostname': hostname(),
    'attr.driver.iis': '1',
  }
}

/** Nomad's `CleanEnvVar`: anything but letters, digits and `_` becomes `_`. */
function cleanEnvName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_')
}
