/**
 * Shared set-up of the Management API tests: a real Driver from src/driver
 * starting a real site host for one task whose alloc dir is laid out as
 * Nomad does in a temp folder, and the API started in-process on
 * 127.0.0.1 port 0. `close()` stops the task and the API and removes
 * every temp file.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Driver, parseDriverConfig } from '../../src/driver/index.js'
import type { DriverConfig, TaskConfig } from '../../src/driver/types.js'
import { startManagementApi } from '../../src/management/server.js'
import type { ManagementApi, ManagementApiOptions } from '../../src/management/server.js'

export const ALLOC_ID = 'e4c0ee58-2e27-2cd6-7ca5-6ef1ed036aad'
export const TASK_NAME = 'app'
export const INDEX_HTML = '<html><body><h1>hello from the task</h1></body></html>'

export interface Harness {
  /** `http://127.0.0.1:<port>` of the API. */
  base: string
  /** `<base>/api/v1/allocs/<allocId>/<task>`. */
  taskUrl: string
  api: ManagementApi
  driver: Driver
  task: TaskConfig
  /** The config object the Driver and the API share; tests may change it. */
  driverConfig: DriverConfig
  taskDir: string
  tempDir: string
  close(): Promise<void>
}

export interface HarnessOptions {
  /** Default 127.0.0.1; null leaves the choice to the API (open: 127.0.0.1). */
  address?: string | null
  apiKey?: string
  jwtSecret?: string
  limits?: ManagementApiOptions['limits']
  driverConfig?: Partial<DriverConfig>
  /** Pool start mode; AlwaysRunning gives a worker at once. Default OnDemand. */
  startMode?: 'OnDemand' | 'AlwaysRunning'
  /**
   * A second pool `bad` serving the application `/bad` from `local/bad`,
   * whose web.config is not well-formed: the site host keeps it stopped.
   */
  withBadPool?: boolean
  /**
   * A hosted program at `/hop/` answering every request with a 302 to the
   * URL held in `local/hop/location.txt`, read per request (empty: 200).
   */
  withRedirectApp?: boolean
}

/** Starts a task with the index page in `local/`, then the API over it. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tempDir = await mkdtemp(join(tmpdir(), 'nomad-iis-mgmt-'))
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const driverConfig: DriverConfig = {
    ...parseDriverConfig({}),
    stateDir: join(tempDir, 'state'),
    procdump: { binaryPath: '/usr/bin/procdump', acceptEula: true },
    chromiumPath: '/usr/bin/chromium',
    ...options.driverConfig,
  }
  const driver = new Driver({ logger: log, config: driverConfig })
  const task = await layOutTask(tempDir, options.startMode ?? 'OnDemand')
  if (options.withBadPool === true) await addBadPool(task)
  if (options.withRedirectApp === true) await addRedirectApp(task)
  let api: ManagementApi | null = null
  try {
    await driver.startTask(task)
    api = await startManagementApi({
      driver,
      port: 0,
      address: options.address === undefined ? '127.0.0.1' : options.address,
      apiKey: options.apiKey,
      jwtSecret: options.jwtSecret,
      log,
      driverConfig,
      limits: options.limits,
    })
  } catch (err) {
    await stopAll(driver, task, null, tempDir)
    throw err
  }
  const base = `http://127.0.0.1:${api.port}`
  return {
    base,
    taskUrl: `${base}/api/v1/allocs/${ALLOC_ID}/${TASK_NAME}`,
    api,
    driver,
    task,
    driverConfig,
    taskDir: join(task.allocDir, TASK_NAME),
    tempDir,
    close: () => stopAll(driver, task, api, tempDir),
  }
}

/** Lays out an alloc dir under `tempDir` and returns the task config Nomad would send. */
export async function layOutTask(
  tempDir: string,
  startMode: string,
  allocId = ALLOC_ID,
): Promise<TaskConfig> {
  const allocDir = join(tempDir, allocId === ALLOC_ID ? 'alloc' : `alloc-${allocId}`)
  const taskDir = join(allocDir, TASK_NAME)
  for (const sub of ['local', 'secrets', 'tmp', 'private']) {
    await mkdir(join(taskDir, sub), { recursive: true })
  }
  await mkdir(join(allocDir, 'alloc', 'logs'), { recursive: true })
  await writeFile(join(taskDir, 'local', 'index.html'), INDEX_HTML)
  const port = await freePort()
  return {
    id: `${allocId}/${TASK_NAME}/0a1b2c3d`,
    name: TASK_NAME,
    driverConfig: {
      applications: [{ path: 'local' }],
      bindings: [{ type: 'http', port: 'http', ip_address: '127.0.0.1' }],
      applicationPools: [{ name: 'default', start_mode: startMode }],
    },
    env: {},
    allocDir,
    stdoutPath: join(allocDir, 'alloc', 'logs', `${TASK_NAME}.stdout.0`),
    stderrPath: join(allocDir, 'alloc', 'logs', `${TASK_NAME}.stderr.0`),
    taskGroupName: 'web',
    jobName: 'static-sample-app',
    jobId: 'static-sample-app',
    allocId,
    namespace: 'default',
    ports: [{ label: 'http', value: port, to: 0 }],
    networkIp: '127.0.0.1',
    memoryMb: 256,
    cpuShares: 100,
  }
}

async function addBadPool(task: TaskConfig): Promise<void> {
  const dir = join(task.allocDir, TASK_NAME, 'local', 'bad')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'web.config'), '<configuration><system.webServer>')
  const config = task.driverConfig as {
    applications: object[]
    applicationPools: object[]
  }
  config.applications.push({ path: 'local/bad', alias: 'bad', application_pool: 'bad' })
  config.applicationPools.push({ name: 'bad' })
}

const REDIRECT_PROGRAM = `
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'
createServer((request, response) => {
  const location = readFileSync(new URL('./location.txt', import.meta.url), 'utf8').trim()
  if (location === '') response.end('<h1>no redirect</h1>')
  else response.writeHead(302, { location }).end()
}).listen(Number(process.env.PORT), '127.0.0.1')
`

async function addRedirectApp(task: TaskConfig): Promise<void> {
  const dir = join(task.allocDir, TASK_NAME, 'local', 'hop')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'hop.mjs'), REDIRECT_PROGRAM)
  await writeFile(join(dir, 'location.txt'), '')
  const config = task.driverConfig as { applications: object[] }
  config.applications.push({
    path: 'local/hop',
    alias: 'hop',
    program: [{ command: process.execPath, args: [join(dir, 'hop.mjs')] }],
  })
}

async function stopAll(
  driver: Driver,
  task: TaskConfig,
  api: ManagementApi | null,
  tempDir: string,
): Promise<void> {
  await api?.close()
  await driver.stopTask(task.id, 5000, 'SIGTERM').catch(() => undefined)
  await driver.destroyTask(task.id, true).catch(() => undefined)
  await driver.close()
  await rm(tempDir, { recursive: true, force: true })
}

/** A loopback port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export interface ToolResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command line tool (curl, zip, unzip, python3) and collects its output. */
export function run(
  file: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
        resolve({ code, stdout: String(stdout), stderr: String(stderr) })
      },
    )
  })
}

/** curl with `-s`, printing the status code last on its own line. */
export async function curl(
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ status: number; body: string; code: number }> {
  const result = await run('curl', ['-s', '-w', '\n%{http_code}', ...args], options)
  const cut = result.stdout.lastIndexOf('\n')
  return {
    status: Number(result.stdout.slice(cut + 1)),
    body: result.stdout.slice(0, cut),
    code: result.code,
  }
}
