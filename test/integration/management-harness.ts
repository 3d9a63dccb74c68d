/**
 * Shared set-up of the Management API tests: a task directory laid out as
 * Nomad does in a temp folder, a driver behind it, and the API started
 * in-process on 127.0.0.1 port 0. Every resource is released by `close()`.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import pino from 'pino'
import type {
  DriverApi,
  DriverConfig,
  HostResources,
  TaskHandleView,
} from '../../src/driver/types.js'
import type { PoolStatus } from '../../src/webhost/control-protocol.js'
import { startManagementApi } from '../../src/management/server.js'
import type { ManagementApi, ManagementApiOptions } from '../../src/management/server.js'

export const ALLOC_ID = 'e4c0ee58-2e27-2cd6-7ca5-6ef1ed036aad'
export const TASK_NAME = 'app'

export interface Harness {
  base: string
  api: ManagementApi
  taskDir: string
  tempDir: string
  driver: DriverApi
  close(): Promise<void>
}

export interface HarnessOptions {
  apiKey?: string
  jwtSecret?: string
  limits?: ManagementApiOptions['limits']
  driverConfig?: Partial<DriverConfig>
}

export function driverConfigFor(
  tempDir: string,
  overrides: Partial<DriverConfig> = {},
): DriverConfig {
  return {
    isEnabled: true,
    fingerprintIntervalMs: 30_000,
    directorySecurity: false,
    allowedTargetWebsites: [],
    allowedAppPoolIdentities: [],
    allowedAppPoolUsers: [],
    placeholderAppPath: null,
    procdump: { binaryPath: '/usr/bin/procdump', acceptEula: true },
    stateDir: join(tempDir, 'state'),
    chromiumPath: '/usr/bin/chromium',
    ...overrides,
  }
}

/** Starts the API over a task directory with an index page in `local/`. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tempDir = await mkdtemp(join(tmpdir(), 'nomad-iis-mgmt-'))
  const allocDir = join(tempDir, 'alloc')
  const taskDir = join(allocDir, TASK_NAME)
  for (const sub of ['local', 'secrets', 'tmp', 'private'])
    await mkdir(join(taskDir, sub), { recursive: true })
  await writeFile(join(taskDir, 'local', 'index.html'), '<html><body><h1>hello</h1></body></html>')
  const driver = new SiteDouble(taskDir)
  await driver.startPools()
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' })
  const api = await startManagementApi({
    driver,
    port: 0,
    address: '127.0.0.1',
    apiKey: options.apiKey,
    jwtSecret: options.jwtSecret,
    log,
    driverConfig: driverConfigFor(tempDir, options.driverConfig),
    limits: options.limits,
  })
  return {
    base: `http://127.0.0.1:${api.port}`,
    api,
    taskDir,
    tempDir,
    driver,
    close: async () => {
      await api.close()
      await driver.close()
      await rm(tempDir, { recursive: true, force: true })
    },
  }
}

const WORKER_SOURCE = `
const http = require('node:http'), fs = require('node:fs'), path = require('node:path')
const root = process.argv[1]
const server = http.createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(req.url.split('?')[0]).replace(/\\/$/, '/index.html'))
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404, { 'content-type': 'text/html' }); res.end('<h1>not found</h1>'); return }
    res.writeHead(200, { 'content-type': 'text/html' }); res.end(data)
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'))
`

/**
 * A stand-in for the driver core, used while src/driver's Driver is not
 * there: one pool whose worker is a real node process serving
 * `<taskDir>/local` over loopback HTTP, so screenshots and dumps hit a real
 * process.
 */
export class SiteDouble implements DriverApi {
  readonly view: TaskHandleView
  #worker: ChildProcess | null = null
  #state: PoolStatus['state'] = 'Stopped'
  readonly calls: string[] = []

  constructor(taskDir: string) {
    this.view = {
      taskId: `${ALLOC_ID}/${TASK_NAME}/0a1b2c3d`,
      allocId: ALLOC_ID,
      taskName: TASK_NAME,
      taskGroupName: 'web',
      jobId: 'static-sample-app',
      jobName: 'static-sample-app',
      namespace: 'default',
      taskDir,
      siteName: `nomad-${ALLOC_ID}-${TASK_NAME}`,
      poolNames: [`nomad-${ALLOC_ID}-${TASK_NAME}`],
      isRecovered: false,
      siteUrl: null,
    }
  }

  findTask(allocId: string, taskName: string): TaskHandleView | undefined {
    return allocId === this.view.allocId && taskName === this.view.taskName ? this.view : undefined
  }

  listTasks(): TaskHandleView[] {
    return [this.view]
  }

  async poolStatus(): Promise<PoolStatus[]> {
    const workers =
      this.#worker?.pid === undefined
        ? []
        : [{ pid: this.#worker.pid, kind: 'static' as const, application: null, startedAt: '' }]
    return [
      {
        key: 'default',
        name: this.view.poolNames[0],
        state: this.#state,
        workers,
        lastError: null,
      },
    ]
  }

  async startPools(): Promise<PoolStatus[]> {
    this.calls.push('start')
    if (this.#worker === null) {
      const worker = spawn(
        process.execPath,
        ['-e', WORKER_SOURCE, join(this.view.taskDir, 'local')],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      this.#worker = worker
      const [chunk] = (await once(worker.stdout!, 'data')) as [Buffer]
      ;(this.view as { siteUrl: string | null }).siteUrl =
        `http://127.0.0.1:${chunk.toString().trim()}/`
    }
    this.#state = 'Started'
    return this.poolStatus()
  }

  async stopPools(): Promise<PoolStatus[]> {
    this.calls.push('stop')
    const worker = this.#worker
    this.#worker = null
    if (worker !== null && worker.exitCode === null) {
      const exited = once(worker, 'exit')
      worker.kill('SIGTERM')
      await exited
    }
    this.#state = 'Stopped'
    return this.poolStatus()
  }

  async recyclePools(): Promise<PoolStatus[]> {
    this.calls.push('recycle')
    await this.stopPools()
    return this.startPools()
  }

  async listHostResources(): Promise<HostResources> {
    return {
      sites: [this.view.siteName, 'nomad-gone-app'],
      pools: [...this.view.poolNames, 'DefaultAppPool'],
    }
  }

  async close(): Promise<void> {
    await this.stopPools()
  }

  setConfig(): void {}
  checkHealth(): Promise<string | null> {
    return Promise.resolve(null)
  }
  startTask(): never {
    throw new Error('not used by the management tests')
  }
  recoverTask(): never {
    throw new Error('not used by the management tests')
  }
  waitTask(): never {
    throw new Error('not used by the management tests')
  }
  stopTask(): never {
    throw new Error('not used by the management tests')
  }
  destroyTask(): never {
    throw new Error('not used by the management tests')
  }
  inspectTask(): never {
    throw new Error('not used by the management tests')
  }
  taskStats(): never {
    throw new Error('not used by the management tests')
  }
  signalTask(): never {
    throw new Error('not used by the management tests')
  }
  onEvent(): () => void {
    return () => undefined
  }
}
