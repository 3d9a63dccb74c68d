/**
 * The Nomad client's side of the driver plugin protocol: starts the plugin
 * executable as Nomad does, validates its go-plugin handshake, connects h2c
 * over the unix socket and offers one typed wrapper per RPC and stream
 * (reference sections 1, 2 and 4.5). The runner drives the plugin only
 * through this; the plugin tests use it as their Nomad client.
 *
 * Exported API:
 * - `launchPlugin(options: LaunchOptions): Promise<PluginClient>`: spawns
 *   `options.executable` with `options.args`, the given env plus
 *   NOMAD_PLUGIN_MAGIC_COOKIE, PLUGIN_PROTOCOL_VERSIONS=2,
 *   PLUGIN_MIN_PORT=10000, PLUGIN_MAX_PORT=25000; reads the first stdout
 *   line within `startTimeoutMs` (60 s), validates it, connects, and
 *   forwards stderr hclog lines to `options.log` (non-JSON lines at debug).
 *   Further stdout lines are read and dropped, as go-plugin does.
 * - `connectPlugin(target: { network: 'unix' | 'tcp'; address: string }, log)`:
 *   a client without a process (a reattach: no handshake, no SetConfig).
 * - `parseHandshake(line: string): Handshake`: the validation alone.
 * - `PluginClient`:
 *   - `pid` (null when connected without launching), `handshake`, `exited`
 *     (resolves with `{ code, signal }` when the launched process ends)
 *   - BasePlugin: `pluginInfo()`, `configSchema()`, `setConfig(bytes,
 *     nomadConfig?, apiVersion?)`
 *   - Driver unary: `init()` (UNIMPLEMENTED ignored), `taskConfigSchema()`,
 *     `capabilities()`, `startTask(task)`, `recoverTask(handle, taskId?)`,
 *     `waitTask(taskId, signal?)`, `stopTask(taskId, timeoutMs, signal)`,
 *     `destroyTask(taskId, force)`, `inspectTask(taskId)`,
 *     `signalTask(taskId, signal)`, `execTask(taskId, command, timeoutMs)`,
 *     `driverShutdown()` (2 s deadline, UNIMPLEMENTED ignored)
 *   - Driver streams, each a `PluginStream<T>` (grpc-js ClientReadableStream:
 *     `on('data' | 'error' | 'end')`, async iteration, `cancel()`): `fingerprint()`,
 *     `taskEvents()`, `taskStats(taskId, intervalMs)`
 *   - go-plugin: `healthCheck(service = 'plugin')`, `streamStdio()`,
 *     `controllerShutdown()`
 *   - `shutdown()`: Driver.Shutdown, GRPCController.Shutdown, close, wait
 *     up to 2 s for the process to exit, then SIGKILL (Nomad's Kill)
 *   - `kill()`: SIGKILL now (a crash, for tests); `close()`: drop the
 *     connection only
 * - Messages are plain objects as @grpc/proto-loader gives them with
 *   `keepCase: true, longs: Number, enums: String, defaults: true,
 *   oneofs: true`: field names as in proto/*.proto, enums as their names,
 *   Timestamps/Durations as `{ seconds, nanos }`, bytes as Buffer.
 * - `isRecoverableError(err)`: whether a failed call carries Nomad's
 *   RecoverableError detail (a StartTask the restart policy may retry).
 * - Errors: launch and handshake problems are RunnerError
 *   ERR_RUNNER_PLUGIN; RPC failures are grpc-js ServiceErrors (`code`,
 *   `details`, `metadata`), untouched, so callers can read the status code.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { rm } from 'node:fs/promises'
import * as grpc from '@grpc/grpc-js'
import { RunnerError } from './errors.js'
import type { Handshake } from './plugin-handshake.js'
import { parseHandshake } from './plugin-handshake.js'
import type { PluginLogger } from './plugin-stderr.js'
import type { StderrTail } from './plugin-stderr.js'
import { forwardStderr } from './plugin-stderr.js'
import type { HclSpec } from './hcldec.js'
import { loadPluginProtos } from './plugin-protos.js'

export type { Handshake } from './plugin-handshake.js'
export { parseHandshake } from './plugin-handshake.js'
export type { PluginLogger } from './plugin-stderr.js'
export { isGoLogTimestamp, parseLogLine } from './plugin-stderr.js'
export { isRecoverableError } from './plugin-status-details.js'

export const MAGIC_COOKIE_KEY = 'NOMAD_PLUGIN_MAGIC_COOKIE'
export const MAGIC_COOKIE_VALUE = 'e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255'

export interface LaunchOptions {
  executable: string
  args?: string[]
  /** The agent's environment; defaults to process.env. */
  env?: NodeJS.ProcessEnv
  log: PluginLogger
  /** Working directory; Nomad leaves the agent's (often `/`). */
  cwd?: string
  /** Overrides the cookie value (tests of a wrong cookie); null leaves it out. */
  cookie?: string | null
  startTimeoutMs?: number
}

export type Message = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A server stream: a Readable in object mode (`data`, `error`, `end`, async
 * iteration); `cancel()` ends it with a CANCELLED error event.
 */
export type PluginStream<T> = grpc.ClientReadableStream<T>

export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

const KILL_WAIT_MS = 2000

/** Starts the plugin as a Nomad client does and connects to it. */
export async function launchPlugin(options: LaunchOptions): Promise<PluginClient> {
  const env: NodeJS.ProcessEnv = {
    ...(options.env ?? process.env),
    PLUGIN_PROTOCOL_VERSIONS: '2',
    PLUGIN_MIN_PORT: '10000',
    PLUGIN_MAX_PORT: '25000',
  }
  delete env[MAGIC_COOKIE_KEY]
  if (options.cookie !== null) env[MAGIC_COOKIE_KEY] = options.cookie ?? MAGIC_COOKIE_VALUE
  const child = spawn(options.executable, options.args ?? [], {
    env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  const stderr = forwardStderr(child, options.log)
  try {
    const line = await firstLine(child, exited, stderr, options.startTimeoutMs ?? 60_000)
    const handshake = parseHandshake(line)
    // A plugin that dies unannounced (SIGKILL) leaves its socket file behind;
    // the path was its alone, so the client that launched it removes it.
    if (handshake.network === 'unix') {
      void exited.then(() => rm(handshake.address, { force: true }).catch(() => {}))
    }
    return new PluginClient(handshake, options.log, child, exited)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
}

/** Connects to an already running plugin, as Nomad's reattach does. */
export function connectPlugin(
  target: { network: 'unix' | 'tcp'; address: string },
  log: PluginLogger,
): PluginClient {
  const handshake: Handshake = { coreVersion: 1, appVersion: 2, protocol: 'grpc', ...target }
  return new PluginClient(handshake, log, null, null)
}

/** One connection to a plugin, with a typed wrapper per RPC. */
export class PluginClient {
  readonly handshake: Handshake
  readonly pid: number | null
  readonly exited: Promise<ProcessExit> | null
  #child: ChildProcess | null
  #log: PluginLogger
  #base: grpc.Client & Message
  #driver: grpc.Client & Message
  #controller: grpc.Client & Message
  #stdio: grpc.Client & Message
  #health: grpc.Client & Message

  constructor(
    handshake: Handshake,
    log: PluginLogger,
    child: ChildProcess | null,
    exited: Promise<ProcessExit> | null,
  ) {
    this.handshake = handshake
    this.pid = child?.pid ?? null
    this.exited = exited
    this.#child = child
    this.#log = log
    const target = handshake.network === 'unix' ? `unix://${handshake.address}` : handshake.address
    const protos = loadPluginProtos()
    const credentials = grpc.credentials.createInsecure()
    const channelOptions = {
      'grpc.max_receive_message_length': 2 ** 31 - 1,
      'grpc.max_send_message_length': 2 ** 31 - 1,
    }
    const make = (Service: grpc.ServiceClientConstructor) =>
      new Service(target, credentials, channelOptions) as grpc.Client & Message
    this.#base = make(protos.BasePlugin)
    // Every service shares one channel, as go-plugin's single connection does.
    const channelOverride = { channelOverride: this.#base.getChannel() }
    const share = (Service: grpc.ServiceClientConstructor) =>
      new Service(target, credentials, channelOverride) as grpc.Client & Message
    this.#driver = share(protos.Driver)
    this.#controller = share(protos.GRPCController)
    this.#stdio = share(protos.GRPCStdio)
    this.#health = share(protos.Health)
  }

  pluginInfo(): Promise<Message> {
    return this.#unary(this.#base, 'PluginInfo', {})
  }

  async configSchema(): Promise<HclSpec | null> {
    const response = await this.#unary(this.#base, 'ConfigSchema', {})
    return (response.spec as HclSpec | null) ?? null
  }

  async setConfig(
    msgpackConfig: Uint8Array,
    nomadConfig?: Message,
    apiVersion = '0.1.0',
  ): Promise<void> {
    await this.#unary(this.#base, 'SetConfig', {
      msgpack_config: Buffer.from(msgpackConfig),
      nomad_config: nomadConfig,
      plugin_api_version: apiVersion,
    })
  }

  async init(): Promise<void> {
    await ignoreUnimplemented(this.#unary(this.#driver, 'Init', {}))
  }

  async taskConfigSchema(): Promise<HclSpec> {
    const response = await this.#unary(this.#driver, 'TaskConfigSchema', {})
    return response.spec as HclSpec
  }

  async capabilities(): Promise<Message> {
    return (await this.#unary(this.#driver, 'Capabilities', {})).capabilities as Message
  }

  /** Resolves with the StartTaskResponse (handle, network_override). */
  startTask(task: Message): Promise<Message> {
    return this.#unary(this.#driver, 'StartTask', { task })
  }

  /** `taskId` stays empty by default: Nomad never sets it. */
  async recoverTask(handle: Message, taskId = ''): Promise<void> {
    await this.#unary(this.#driver, 'RecoverTask', { task_id: taskId, handle })
  }

  /** Resolves with `{ result, err }`; `signal` cancels the call. */
  waitTask(taskId: string, signal?: AbortSignal): Promise<Message> {
    return this.#unary(this.#driver, 'WaitTask', { task_id: taskId }, signal)
  }

  async stopTask(taskId: string, timeoutMs: number, signal: string): Promise<void> {
    const timeout = { seconds: Math.floor(timeoutMs / 1000), nanos: (timeoutMs % 1000) * 1e6 }
    await this.#unary(this.#driver, 'StopTask', { task_id: taskId, timeout, signal })
  }

  async destroyTask(taskId: string, force: boolean): Promise<void> {
    await this.#unary(this.#driver, 'DestroyTask', { task_id: taskId, force })
  }

  inspectTask(taskId: string): Promise<Message> {
    return this.#unary(this.#driver, 'InspectTask', { task_id: taskId })
  }

  async signalTask(taskId: string, signal: string): Promise<void> {
    await this.#unary(this.#driver, 'SignalTask', { task_id: taskId, signal })
  }

  execTask(taskId: string, command: string[], timeoutMs: number): Promise<Message> {
    const timeout = { seconds: Math.floor(timeoutMs / 1000), nanos: (timeoutMs % 1000) * 1e6 }
    return this.#unary(this.#driver, 'ExecTask', { task_id: taskId, command, timeout })
  }

  async driverShutdown(): Promise<void> {
    const deadline = AbortSignal.timeout(KILL_WAIT_MS)
    await ignoreUnimplemented(this.#unary(this.#driver, 'Shutdown', {}, deadline))
  }

  fingerprint(): PluginStream<Message> {
    return this.#driver.Fingerprint({})
  }

  taskEvents(): PluginStream<Message> {
    return this.#driver.TaskEvents({})
  }

  taskStats(taskId: string, intervalMs: number): PluginStream<Message> {
    const interval = { seconds: Math.floor(intervalMs / 1000), nanos: (intervalMs % 1000) * 1e6 }
    return this.#driver.TaskStats({ task_id: taskId, collection_interval: interval })
  }

  streamStdio(): PluginStream<Message> {
    return this.#stdio.StreamStdio({})
  }

  async healthCheck(service = 'plugin'): Promise<string> {
    return (await this.#unary(this.#health, 'Check', { service })).status as string
  }

  async controllerShutdown(): Promise<void> {
    await this.#unary(this.#controller, 'Shutdown', {})
  }

  /** Nomad's orderly kill: Driver.Shutdown, controller Shutdown, 2 s, SIGKILL. */
  async shutdown(): Promise<ProcessExit | null> {
    await this.driverShutdown().catch((err: unknown) => {
      this.#log.debug({ err }, 'plugin driver shutdown failed')
    })
    await this.controllerShutdown().catch((err: unknown) => {
      this.#log.debug({ err }, 'plugin controller shutdown failed')
    })
    this.close()
    if (this.exited === null) return null
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), KILL_WAIT_MS)
    const exit = await this.exited
    clearTimeout(timer)
    return exit
  }

  /** SIGKILL, as when the plugin crashes; the channel is closed too. */
  async kill(): Promise<ProcessExit | null> {
    this.#child?.kill('SIGKILL')
    this.close()
    return this.exited === null ? null : this.exited
  }

  close(): void {
    this.#base.close()
  }

  #unary(client: Message, method: string, request: Message, signal?: AbortSignal) {
    return new Promise<Message>((resolve, reject) => {
      const call = client[method](request, (err: grpc.ServiceError | null, response: Message) => {
        signal?.removeEventListener('abort', onAbort)
        if (err !== null) reject(err)
        else resolve(response)
      }) as grpc.ClientUnaryCall
      const onAbort = () => call.cancel()
      if (signal?.aborted === true) call.cancel()
      else signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}

async function ignoreUnimplemented(call: Promise<unknown>): Promise<void> {
  try {
    await call
  } catch (err) {
    if ((err as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED) throw err
  }
}

function firstLine(
  child: ChildProcess,
  exited: Promise<ProcessExit>,
  stderr: StderrTail,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    let isFirst = true
    const timer = setTimeout(() => {
      reject(pluginError(`timeout while waiting for plugin to start (${timeoutMs} ms)`))
    }, timeoutMs)
    lines.on('line', (line) => {
      if (!isFirst) return // later stdout lines are dropped, as go-plugin does
      isFirst = false
      clearTimeout(timer)
      resolve(line)
    })
    void exited.then(async ({ code, signal }) => {
      clearTimeout(timer)
      if (!isFirst) return
      // bounded: a leftover child could hold the pipe open
      await Promise.race([stderr.closed, new Promise((resolve) => setTimeout(resolve, 1000))])
      const said = stderr.lastLines().join('\n')
      reject(
        pluginError(
          `plugin exited before we could connect (code ${code ?? 'none'}, signal ${signal ?? 'none'})` +
            (said === '' ? '' : `; its stderr ended with:\n${said}`),
        ),
      )
    })
  })
}

function pluginError(message: string): RunnerError {
  return new RunnerError('ERR_RUNNER_PLUGIN', message)
}
