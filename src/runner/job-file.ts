/**
 * Reads a Nomad job file (HCL2) into a {@link JobSpec}. HCL is parsed by
 * HashiCorp's own parser compiled to WebAssembly (@cdktf/hcl2json), which
 * gives blocks as arrays of objects: the same map form Nomad's jobspec
 * hands the client for a task's `config` block.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { parse } from '@cdktf/hcl2json'

import { jobFileError, jobInvalidError, jobSyntaxError } from './errors.js'
import { parseGoDurationMs } from './go-duration.js'
import { checkBlockKeys } from './job-keys.js'
import { applyVariables } from './job-variables.js'
import type { ArtifactSpec, GroupSpec, JobSpec, PortSpec, TaskSpec } from './job-spec.js'

type HclMap = Record<string, unknown>

/** Nomad's defaults for what a job leaves out. */
const DEFAULT_KILL_TIMEOUT_MS = 5000
const DEFAULT_CPU_MHZ = 100
const DEFAULT_MEMORY_MB = 300
const DEFAULT_LOG_FILES = 10
const DEFAULT_LOG_MB = 10
const ARTIFACT_KEYS = new Set(['source', 'destination', 'mode', 'options', 'headers', 'chown'])

/**
 * Reads and parses `path`.
 *
 * @throws RunnerError `ERR_RUNNER_JOB_FILE` when unreadable,
 *   `ERR_RUNNER_JOB_SYNTAX` (`file:line:col: ...`) on an HCL error,
 *   `ERR_RUNNER_JOB_INVALID` when it is not a job this runner can run.
 */
export async function readJobFile(
  path: string,
  variables: Record<string, string> = {},
): Promise<JobSpec> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw jobFileError(path, err)
  }
  return parseJob(path, text, variables)
}

/**
 * Parses job text; `path` names the file in errors and anchors artifacts;
 * `variables` are the `-var` values for the job's `variable` blocks.
 */
export async function parseJob(
  path: string,
  text: string,
  variables: Record<string, string> = {},
): Promise<JobSpec> {
  let parsed: HclMap
  try {
    parsed = (await parse(path, text)) as HclMap
  } catch (err) {
    throw toSyntaxError(path, err)
  }
  const tree = applyVariables(parsed, variables)

  const jobs = labelled(tree.job, 'job')
  if (jobs.length !== 1) {
    throw jobInvalidError(`${basename(path)}: expected exactly one job block, found ${jobs.length}`)
  }
  return toJob(jobs[0].label, jobs[0].body, resolve(path))
}

function toSyntaxError(path: string, err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err)
  // hcl2json reports `parse config: [<file>:<line>,<col>-<line>,<col>: <summary>; <detail> ...]`.
  const at = text.indexOf(`${path}:`)
  const match =
    /^:(\d+),(\d+)(?:-\d+(?:,\d+)?)?: ([^;\]]+)(?:; ([^\]]*?))?(?= \S+:\d+,\d+|\]|$)/.exec(
      at >= 0 ? text.slice(at + path.length) : '',
    )
  if (match === null) return jobSyntaxError(path, text.replace(/^parse config: /, ''))
  const detail = match[4] === undefined ? '' : `; ${match[4]}`
  return jobSyntaxError(`${path}:${match[1]}:${match[2]}`, `${match[3]}${detail}`)
}

function toJob(id: string, body: HclMap, filePath: string): JobSpec {
  const notes = checkBlockKeys('job', `job "${id}"`, body)
  const groups = labelled(body.group, 'group').map((g) => toGroup(g.label, g.body, notes))
  if (groups.length === 0) throw jobInvalidError(`job "${id}" has no group block; add one`)
  const datacenters = optionalStrings(body.datacenters, `job "${id}" datacenters`)
  return {
    id,
    name: optionalString(body.name, `job "${id}" name`) ?? id,
    namespace: optionalString(body.namespace, `job "${id}" namespace`) ?? 'default',
    region: optionalString(body.region, `job "${id}" region`) ?? 'global',
    datacenter: datacenters.find((dc) => !dc.includes('*')) ?? 'dc1',
    meta: stringMap(body.meta, `job "${id}" meta`),
    groups,
    filePath,
    notes,
  }
}

function toGroup(name: string, body: HclMap, notes: string[]): GroupSpec {
  const where = `group "${name}"`
  notes.push(...checkBlockKeys('group', where, body))
  const count = optionalNumber(body.count, `${where} count`) ?? 1
  if (!Number.isInteger(count) || count < 0) {
    throw jobInvalidError(`${where}: count = ${count} must be a whole number, 0 or more`)
  }
  const tasks = labelled(body.task, 'task').map((t) => toTask(t.label, t.body))
  if (tasks.length === 0) throw jobInvalidError(`${where} has no task block; add one`)
  return {
    name,
    count,
    ports: toPorts(body.network, where),
    tasks,
    meta: stringMap(body.meta, `${where} meta`),
  }
}

function toPorts(network: unknown, where: string): PortSpec[] {
  const blocks = blockList(network, `${where} network`)
  if (blocks.length > 1) throw jobInvalidError(`${where}: only one network block is supported`)
  if (blocks.length === 0) return []
  const mode = optionalString(blocks[0].mode, `${where} network mode`) ?? 'host'
  if (mode !== 'host') {
    throw jobInvalidError(
      `${where}: network mode "${mode}" is not supported by the local runner; use "host"`,
    )
  }
  return labelled(blocks[0].port, 'port').map(({ label, body }) => {
    const portWhere = `${where} port "${label}"`
    const staticPort = optionalNumber(body.static, `${portWhere} static`)
    const to = optionalNumber(body.to, `${portWhere} to`) ?? 0
    for (const [key, value] of [
      ['static', staticPort],
      ['to', to],
    ] as const) {
      if (value !== null && (!Number.isInteger(value) || value < 0 || value > 65535)) {
        throw jobInvalidError(`${portWhere}: ${key} = ${value} is not a port number (0-65535)`)
      }
    }
    return { label, staticPort, to }
  })
}

function toTask(name: string, body: HclMap): TaskSpec {
  const where = `task "${name}"`
  const notes = checkBlockKeys('task', where, body)
  const driver = optionalString(body.driver, `${where} driver`)
  if (driver === null) throw jobInvalidError(`${where} has no driver; set driver = "iis"`)
  const configs = blockList(body.config, `${where} config`)
  if (configs.length > 1)
    throw jobInvalidError(`${where} has ${configs.length} config blocks; keep one`)
  const resources = blockList(body.resources, `${where} resources`)[0] ?? {}
  const killTimeout = optionalString(body.kill_timeout, `${where} kill_timeout`)
  const killTimeoutMs =
    killTimeout === null ? DEFAULT_KILL_TIMEOUT_MS : parseGoDurationMs(killTimeout)
  if (killTimeoutMs === null || killTimeoutMs < 0) {
    throw jobInvalidError(`${where}: kill_timeout "${killTimeout}" is not a duration such as "10s"`)
  }
  return {
    name,
    driver,
    config: configs[0] ?? {},
    env: stringMap(body.env, `${where} env`),
    artifacts: blockList(body.artifact, `${where} artifact`).map((a) => toArtifact(a, where)),
    killTimeoutMs,
    killSignal: optionalString(body.kill_signal, `${where} kill_signal`) ?? '',
    logs: toLogs(body.logs, where),
    cpuMhz: optionalNumber(resources.cpu, `${where} resources cpu`) ?? DEFAULT_CPU_MHZ,
    memoryMb: optionalNumber(resources.memory, `${where} resources memory`) ?? DEFAULT_MEMORY_MB,
    memoryMaxMb: optionalNumber(resources.memory_max, `${where} resources memory_max`) ?? 0,
    meta: stringMap(body.meta, `${where} meta`),
    user: optionalString(body.user, `${where} user`) ?? '',
    notes,
  }
}

/** `logs { max_files, max_file_size (MB), disabled }` with Nomad's defaults (10, 10, false). */
function toLogs(value: unknown, task: string): TaskSpec['logs'] {
  const where = `${task} logs`
  const body = blockList(value, where)[0] ?? {}
  const maxFiles = optionalNumber(body.max_files, `${where} max_files`) ?? DEFAULT_LOG_FILES
  const maxFileMb = optionalNumber(body.max_file_size, `${where} max_file_size`) ?? DEFAULT_LOG_MB
  if (
    !Number.isInteger(maxFiles) ||
    maxFiles < 1 ||
    !Number.isInteger(maxFileMb) ||
    maxFileMb < 1
  ) {
    throw jobInvalidError(`${where}: max_files and max_file_size must be whole numbers, 1 or more`)
  }
  const disabled = body.disabled ?? body.enabled === false
  if (typeof disabled !== 'boolean')
    throw jobInvalidError(`${where} disabled must be true or false`)
  return { maxFiles, maxFileBytes: maxFileMb * 1024 * 1024, isDisabled: disabled }
}

function toArtifact(body: HclMap, task: string): ArtifactSpec {
  const where = `${task} artifact`
  const unknown = Object.keys(body).find((key) => !ARTIFACT_KEYS.has(key))
  if (unknown !== undefined) throw jobInvalidError(`${where}: unsupported argument "${unknown}"`)
  const source = optionalString(body.source, `${where} source`)
  if (source === null || source === '') throw jobInvalidError(`${where}: source is required`)
  const mode = optionalString(body.mode, `${where} mode`) ?? 'any'
  if (mode !== 'any' && mode !== 'file' && mode !== 'dir') {
    throw jobInvalidError(`${where}: mode "${mode}" must be "any", "file" or "dir"`)
  }
  return {
    source,
    destination: optionalString(body.destination, `${where} destination`) ?? 'local/',
    mode,
    options: stringMap(body.options, `${where} options`),
  }
}

/** `kind "label" { ... }` blocks as hcl2json gives them: `{ label: [body, ...] }`. */
function labelled(value: unknown, kind: string): { label: string; body: HclMap }[] {
  if (value === undefined) return []
  if (!isMap(value))
    throw jobInvalidError(`a ${kind} block needs a label, as in ${kind} "name" { ... }`)
  return Object.entries(value).flatMap(([label, bodies]) => {
    checkLabel(label, kind)
    return blockList(bodies, `${kind} "${label}"`).map((body) => ({ label, body }))
  })
}

/**
 * Job, group and task names end up in paths (the task dir is
 * `<alloc>/<task>`, log files are named after the task): like Nomad, which
 * refuses slashes in task names, refuse what would leave or break a path.
 */
function checkLabel(label: string, kind: string): void {
  if (label.trim() === '' || label === '.' || label === '..' || /[/\\\0]/.test(label)) {
    throw jobInvalidError(
      `${kind} "${label.replace(/\0/g, '\\0')}": a ${kind} name cannot be empty, "." or ".." ` +
        `or hold "/", "\\" or NUL; rename it, e.g. ${kind} "web"`,
    )
  }
}

function blockList(value: unknown, where: string): HclMap[] {
  if (value === undefined || value === null) return []
  const list = Array.isArray(value) ? value : [value]
  if (!list.every(isMap)) throw jobInvalidError(`${where} must be a block`)
  return list
}

/** A block (`env { A = "1" }`) or a map attribute (`meta = { A = "1" }`) of strings. */
function stringMap(value: unknown, where: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const block of blockList(value, where)) {
    for (const [key, item] of Object.entries(block)) {
      if (typeof item === 'string') out[key] = item
      else if (typeof item === 'number' || typeof item === 'boolean') out[key] = String(item)
      else throw jobInvalidError(`${where}: ${key} must be a string`)
    }
  }
  return out
}

function optionalString(value: unknown, where: string): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw jobInvalidError(`${where} must be a string`)
  return value
}

function optionalStrings(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw jobInvalidError(`${where} must be a list of strings`)
  }
  return value
}

function optionalNumber(value: unknown, where: string): number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') return value
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value)
  throw jobInvalidError(`${where} must be a number, not ${JSON.stringify(value)}`)
}

function isMap(value: unknown): value is HclMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
