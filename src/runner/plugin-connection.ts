/**
 * {@link DriverPlugin} over the real plugin protocol: launches the plugin
 * executable as a Nomad client does (plugin-client.ts) and maps the wire
 * messages to the runner's small types.
 *
 * @module
 */
import { cpus } from 'node:os'

import { launchPlugin } from './plugin-client.js'
import type { Message, PluginClient, PluginLogger } from './plugin-client.js'
import { checkStartResponse, checkStatsResponse, checkWaitResponse } from './conformance.js'
import { pluginError } from './errors.js'
import type { HclSpec } from './hcldec.js'
import type {
  DriverEvent,
  DriverPlugin,
  TaskExit,
  TaskHandle,
  TaskUsageSample,
  WireTaskConfig,
} from './driver-plugin.js'

/** Plugin log lines kept to explain a failed start. */
const RECENT_LINES = 8

export interface PluginLaunch {
  /** `node` itself; the plugin is started as `<node> <main.js> ...args`. */
  nodePath: string
  mainPath: string
  args: string[]
  env: NodeJS.ProcessEnv
  log: PluginLogger
  /** Told of every answer a real Nomad client could not live with (conformance.ts). */
  onViolation: (problem: string) => void
}

/** The first Fingerprint answer, which Nomad waits for before placing work on the node. */
export interface DriverHealth {
  health: string
  description: string
}

/**
 * Starts the plugin, then the sequence a client runs on a long-lived
 * instance before any task: SetConfig comes later (it needs the spec).
 *
 * @throws RunnerError `ERR_RUNNER_PLUGIN` when it does not start or its
 *   handshake is wrong.
 */
export async function connectDriverPlugin(launch: PluginLaunch): Promise<PluginConnection> {
  const recent: string[] = []
  // The plugin stays in the runner's process group, as under a Nomad agent
  // started from a terminal: a Ctrl-C reaches it too (it ignores SIGINT), a
  // group SIGTERM ends it (the supervisor then starts a fresh one to stop
  // the tasks), and a closed terminal's SIGHUP takes it down with the runner.
  const client = await launchPlugin({
    executable: launch.nodePath,
    args: [launch.mainPath, ...launch.args],
    env: launch.env,
    log: rememberingLogger(launch.log, recent),
  }).catch((err: unknown) => {
    const tail = recent.length === 0 ? '' : `; its last words:\n  ${recent.join('\n  ')}`
    throw pluginError(`the driver plugin did not start: ${messageOf(err)}${tail}`, err)
  })
  client.streamStdio().on('error', () => {})
  return new PluginConnection(client, launch.onViolation)
}

export class PluginConnection implements DriverPlugin {
  readonly #client: PluginClient
  readonly #onViolation: (problem: string) => void
  /** Problems already told, so a stream repeating one says it once. */
  readonly #toldProblems = new Set<string>()
  /** Set once the plugin process has ended. */
  #hasExited = false
  #cancelFingerprint: () => void = () => {}

  constructor(client: PluginClient, onViolation: (problem: string) => void) {
    this.#client = client
    this.#onViolation = onViolation
    void client.exited?.then(() => (this.#hasExited = true))
  }

  /**
   * True when the plugin process has ended, or ends within `waitMs`; Nomad
   * gives a failed call the same few seconds to tell a dead plugin from an
   * error of the call itself.
   */
  async isDead(waitMs: number): Promise<boolean> {
    if (this.#hasExited || this.#client.exited === null) return this.#hasExited
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, waitMs, false)))
    const dead = await Promise.race([this.#client.exited.then(() => true), late])
    clearTimeout(timer)
    return dead
  }

  get pid(): number | null {
    return this.#client.pid
  }

  configSchema(): Promise<HclSpec | null> {
    return this.#client.configSchema()
  }

  /** SetConfig as a long-lived instance gets it: with `nomad_config` (the validation launch has none). */
  async setConfig(msgpackConfig: Uint8Array): Promise<void> {
    await this.#client.setConfig(msgpackConfig, buildNomadConfig())
    await this.#client.init()
  }

  /**
   * Opens the Fingerprint stream as the client does and resolves with its
   * first answer; the stream stays open until shutdown, as Nomad keeps it.
   */
  firstFingerprint(timeoutMs: number): Promise<DriverHealth> {
    const stream = this.#client.fingerprint()
    this.#cancelFingerprint = () => stream.cancel()
    stream.on('error', () => {})
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(pluginError(`the plugin sent no fingerprint within ${timeoutMs / 1000} s`))
      }, timeoutMs)
      stream.once('data', (message: Message) => {
        clearTimeout(timer)
        const description = String(message.health_description ?? '')
        const err = String(message.err ?? '')
        resolve({ health: String(message.health), description: err === '' ? description : err })
      })
    })
  }

  async taskConfigSchema(): Promise<HclSpec> {
    const spec = await this.#client.taskConfigSchema()
    await this.#client.capabilities()
    return spec
  }

  async startTask(config: WireTaskConfig): Promise<TaskHandle> {
    const response = await this.#client.startTask(config as unknown as Message)
    this.#tell(checkStartResponse(response, config.id))
    return response.handle as TaskHandle
  }

  async recoverTask(handle: TaskHandle): Promise<void> {
    await this.#client.recoverTask(handle as Message)
  }

  async waitTask(taskId: string): Promise<TaskExit> {
    const response = await this.#client.waitTask(taskId)
    this.#tell(checkWaitResponse(response))
    const result = (response.result ?? {}) as Message
    return {
      exitCode: Number(result.exit_code ?? 0),
      signal: Number(result.signal ?? 0),
      isOomKilled: result.oom_killed === true,
      err: String(response.err ?? ''),
    }
  }

  stopTask(taskId: string, timeoutMs: number, signal: string): Promise<void> {
    return this.#client.stopTask(taskId, timeoutMs, signal)
  }

  destroyTask(taskId: string, isForced: boolean): Promise<void> {
    return this.#client.destroyTask(taskId, isForced)
  }

  watchStats(taskId: string, intervalMs: number, onSample: (s: TaskUsageSample) => void) {
    const stream = this.#client.taskStats(taskId, intervalMs)
    stream.on('data', (message: Message) => {
      this.#tell(checkStatsResponse(message))
      onSample(toUsage(message))
    })
    stream.on('error', () => {})
    return () => stream.cancel()
  }

  watchEvents(onEvent: (e: DriverEvent) => void) {
    const stream = this.#client.taskEvents()
    stream.on('data', (message: Message) => onEvent(toEvent(message)))
    stream.on('error', () => {})
    return () => stream.cancel()
  }

  /** SIGKILL the plugin process now, for a runner that must quit at once. */
  kill(): void {
    void this.#client.kill()
  }

  async shutdown(): Promise<void> {
    this.#cancelFingerprint()
    await this.#client.shutdown()
  }

  #tell(problems: string[]): void {
    for (const problem of problems) {
      if (this.#toldProblems.has(problem)) continue
      this.#toldProblems.add(problem)
      this.#onViolation(problem)
    }
  }
}

/**
 * NomadConfig as a client sends it: the agent's default client port range
 * (14000-14512) and this machine's CPU topology, one NUMA node.
 */
function buildNomadConfig(): Message {
  const cores = cpus().map((cpu, index) => ({
    socket_id: 0,
    node_id: 0,
    core_id: index,
    core_grade: 'Performance',
    disable: false,
    base_speed: cpu.speed,
    max_speed: cpu.speed,
    guess_speed: 0,
  }))
  return {
    driver: {
      ClientMaxPort: 14512,
      ClientMinPort: 14000,
      Topology: { node_ids: [0], distances: { dimension: 1, values: [10] }, cores },
    },
  }
}

/** Passes every line on and keeps the last few, to explain a plugin that dies at start. */
function rememberingLogger(log: PluginLogger, recent: string[]): PluginLogger {
  const keep =
    (level: keyof PluginLogger) =>
    (obj: object, msg?: string): void => {
      const line = msg ?? ('@message' in obj ? String(obj['@message']) : JSON.stringify(obj))
      recent.push(line)
      if (recent.length > RECENT_LINES) recent.shift()
      log[level](obj, msg)
    }
  return {
    trace: keep('trace'),
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
  }
}

/** The aggregate of a TaskStatsResponse (driver.proto TaskResourceUsage: `cpu`, `memory`). */
export function toUsage(message: Message): TaskUsageSample {
  const usage = (message.stats?.agg_resource_usage ?? {}) as Message
  return {
    rssBytes: Number(usage.memory?.rss ?? 0),
    cpuPercent: Number(usage.cpu?.percent ?? 0),
  }
}

function toEvent(message: Message): DriverEvent {
  const seconds = Number(message.timestamp?.seconds ?? 0)
  const nanos = Number(message.timestamp?.nanos ?? 0)
  return {
    taskId: String(message.task_id ?? ''),
    allocId: String(message.alloc_id ?? ''),
    taskName: String(message.task_name ?? ''),
    at: new Date(seconds * 1000 + Math.floor(nanos / 1e6)),
    message: String(message.message ?? ''),
    annotations: (message.annotations ?? {}) as Record<string, string>,
  }
}

/** The plugin's own words from a gRPC error (`details`), else the message. */
export function messageOf(err: unknown): string {
  if (
    typeof err === 'object' &&
    err !== null &&
    'details' in err &&
    typeof err.details === 'string'
  ) {
    return err.details
  }
  return err instanceof Error ? err.message : String(err)
}
