/**
 * A harness that plays the Nomad client against the real plugin executable:
 * launched with the cookie, handshake validated, real gRPC over the unix
 * socket (src/runner/plugin-client.ts), task configs encoded from the
 * plugin's own hclspec with cty's msgpack rules, alloc dirs laid out as
 * Nomad does. Cleanup kills every process it started, site hosts included.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { freePort, waitFor as waitForCondition } from './wait.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decode } from '@msgpack/msgpack'
import { encodeCtyMsgpack } from '../../src/runner/cty-msgpack.js'
import { decodeHclConfig } from '../../src/runner/hcldec.js'
import type { HclSpec } from '../../src/runner/hcldec.js'
import { launchPlugin } from '../../src/runner/plugin-client.js'
import type {
  LaunchOptions,
  Message,
  PluginClient,
  PluginLogger,
} from '../../src/runner/plugin-client.js'

/** dist/src/cli/main.js, next to this compiled file's dist/test/integration. */
export const MAIN_JS = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

export interface LogRecord {
  level: string
  fields: object
  message: string | undefined
}

/** A logger that keeps what the plugin wrote on stderr. */
export function recordingLogger(records: LogRecord[]): PluginLogger {
  const at =
    (level: string) =>
    (fields: object, message?: string): void => {
      records.push({ level, fields, message })
    }
  return {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  }
}

export interface Harness {
  root: string
  stateDir: string
  logs: LogRecord[]
  client: PluginClient
  /** Launches another plugin process (a restart), tracked for cleanup. */
  launch(options?: Partial<LaunchOptions>): Promise<PluginClient>
  /** PluginInfo, ConfigSchema, SetConfig with nomad_config, Init: the long-lived instance. */
  configure(client: PluginClient, agentConfig?: Record<string, unknown>): Promise<void>
  /** A TaskConfig message with an alloc dir holding `local/index.html`. */
  newTask(config: Record<string, unknown>, options?: TaskOptions): Promise<Message>
  /** Remembers a site host pid from a handle, to kill it at cleanup. */
  track(handle: Message): number
  cleanup(): Promise<void>
}

export interface TaskOptions {
  ports?: { label: string; value: number }[]
  page?: string
  stdoutPath?: string
  stderrPath?: string
  env?: Record<string, string>
}

/** Starts the plugin and returns the harness; register `cleanup` right after. */
export async function startHarness(
  agentConfig: Record<string, unknown> = {},
  launchOptions: Partial<LaunchOptions> = {},
): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'plugin-it-'))
  const stateDir = join(root, 'state')
  const logs: LogRecord[] = []
  const clients: PluginClient[] = []
  const pids = new Set<number>()
  const launch = async (options: Partial<LaunchOptions> = {}) => {
    const client = await launchPlugin({
      executable: process.execPath,
      args: [MAIN_JS],
      log: recordingLogger(logs),
      ...launchOptions,
      ...options,
    })
    clients.push(client)
    return client
  }
  let specCache: HclSpec | undefined
  const harness: Harness = {
    root,
    stateDir,
    logs,
    client: undefined as unknown as PluginClient,
    launch,
    async configure(client, config = agentConfig) {
      await client.pluginInfo()
      const spec = await client.configSchema()
      const full = { state_dir: stateDir, ...config }
      const bytes = encodeCtyMsgpack(decodeHclConfig(spec!, full))
      await client.setConfig(bytes, { driver: { ClientMaxPort: 14512, ClientMinPort: 14000 } })
      await client.init()
    },
    async newTask(config, options = {}) {
      specCache ??= await harness.client.taskConfigSchema()
      return buildTask(root, specCache, config, options)
    },
    track(handle) {
      const state = decode(handle.driver_state as Uint8Array) as { siteHostPid: number }
      pids.add(state.siteHostPid)
      return state.siteHostPid
    },
    async cleanup() {
      for (const client of clients) await killPlugin(client)
      for (const pid of pids) killGroup(pid)
      await rm(root, { recursive: true, force: true })
    },
  }
  try {
    harness.client = await launch()
    await harness.configure(harness.client)
  } catch (err) {
    await harness.cleanup()
    throw err
  }
  return harness
}

async function buildTask(
  root: string,
  spec: HclSpec,
  config: Record<string, unknown>,
  options: TaskOptions,
): Promise<Message> {
  const allocId = randomUUID()
  const name = 'web'
  const allocDir = join(root, allocId)
  for (const dir of [
    'alloc/data',
    'alloc/logs',
    'alloc/tmp',
    'web/local',
    'web/secrets',
    'web/tmp',
  ]) {
    await mkdir(join(allocDir, dir), { recursive: true })
  }
  await writeFile(join(allocDir, name, 'local', 'index.html'), options.page ?? '<h1>hello</h1>')
  const ports = options.ports ?? [{ label: 'http', value: await freePort() }]
  const env: Record<string, string> = {
    NOMAD_ALLOC_ID: allocId,
    NOMAD_TASK_NAME: name,
    NOMAD_ALLOC_DIR: join(allocDir, 'alloc'),
    NOMAD_TASK_DIR: join(allocDir, name, 'local'),
    ...Object.fromEntries(ports.map((p) => [`NOMAD_PORT_${p.label}`, String(p.value)])),
    ...options.env,
  }
  const decoded = decodeHclConfig(spec, config, { variables: env })
  return {
    id: `${allocId}/${name}/${randomBytes(4).toString('hex')}`,
    name,
    msgpack_driver_config: Buffer.from(encodeCtyMsgpack(decoded)),
    env,
    resources: {
      allocated_resources: {
        cpu: { cpu_shares: 100 },
        memory: { memory_mb: 64 },
        networks: [],
      },
      linux_resources: { cpu_shares: 100, memory_limit_bytes: 64 * 1024 * 1024 },
      ports: ports.map((p) => ({ label: p.label, value: p.value, to: 0, host_ip: '127.0.0.1' })),
    },
    alloc_dir: allocDir,
    stdout_path: options.stdoutPath ?? join(allocDir, 'alloc/logs', `.${name}.stdout.log`),
    stderr_path: options.stderrPath ?? join(allocDir, 'alloc/logs', `.${name}.stderr.log`),
    task_group_name: 'group',
    job_name: 'job',
    job_id: 'job',
    alloc_id: allocId,
    namespace: 'default',
    node_name: 'node',
    node_id: randomUUID(),
  }
}

/** The simplest config that serves `local/` on the `http` port. */
export const STATIC_CONFIG = {
  application: [{ path: 'local' }],
  binding: [{ type: 'http', port: 'http' }],
}

/** The task's first port, as the site serves it. */
export function portOf(task: Message): number {
  return (task.resources.ports as { value: number }[])[0].value
}

/** GET http://127.0.0.1:port/path, resolving with the status and body. */
export function httpGet(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Collects a stream's messages until `count` arrived; the stream is then cancelled. */
export function take(stream: NodeJS.ReadableStream & { cancel(): void }, count: number) {
  return new Promise<{ messages: Message[]; didEnd: boolean }>((resolve, reject) => {
    const messages: Message[] = []
    let didEnd = false
    stream.on('data', (message: Message) => {
      messages.push(message)
      if (messages.length === count) {
        stream.cancel()
        resolve({ messages, didEnd })
      }
    })
    stream.on('end', () => (didEnd = true))
    stream.on('error', (err: { code?: number }) => {
      if (messages.length < count) reject(err as Error)
    })
  })
}

/** SIGKILL, then remove the socket a killed plugin cannot remove itself. */
export async function killPlugin(client: PluginClient): Promise<void> {
  await client.kill().catch(() => undefined)
  rmSync(client.handshake.address, { force: true })
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/**
 * Puts a node program behind httpPlatform in the task's `local/app`: the
 * program gets its port as its first argument (%HTTP_PLATFORM_PORT%).
 */
export function writeHostedProgram(task: Message, source: string): void {
  const app = join(task.alloc_dir as string, task.name as string, 'local', 'app')
  mkdirSync(app, { recursive: true })
  writeFileSync(join(app, 'program.cjs'), source)
  writeFileSync(
    join(app, 'web.config'),
    `<?xml version="1.0" encoding="utf-8"?>
<configuration><system.webServer>
  <handlers><add name="httpPlatformHandler" path="*" verb="*" modules="httpPlatformHandler" /></handlers>
  <httpPlatform processPath="${process.execPath}" arguments="program.cjs %HTTP_PLATFORM_PORT%" />
</system.webServer></configuration>`,
  )
}

/** The config serving `local/app` (see writeHostedProgram) on the `http` port. */
export const HOSTED_CONFIG = {
  application: [{ path: 'local/app' }],
  binding: [{ type: 'http', port: 'http' }],
}

export { freePort }

/** Polls `check` until it holds; plugin starts get longer than the default. */
export function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  return waitForCondition(check, timeoutMs)
}
