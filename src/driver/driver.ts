/**
 * The driver core: turns Nomad tasks into sites served by detached site
 * hosts, and keeps a handle per task that the transports act on. Methods
 * follow the order of Nomad's DriverPlugin service, then the Management
 * API's helpers.
 *
 * @module
 */
import { SiteHostClient, readRegistry } from '../webhost/index.js'
import { removeExitRecord } from '../webhost/registry.js'
import { parseDriverConfig, parseTaskConfig } from './config.js'
import { decodeDriverState, encodeDriverState } from './driver-state.js'
import { DriverError } from './errors.js'
import { TaskHandle, isSiteHostAlive } from './handle.js'
import { SILENT_LOGGER } from './logger.js'
import { BUNDLED_PLACEHOLDER_DIR } from './placeholder.js'
import { buildSiteDefinition } from './site-mapping.js'
import { launchSiteHost, prepareApplicationFolders } from './site-launcher.js'
import { TaskStore } from './task-store.js'
import { checkHostHealth } from './health.js'
import { taskEvent, toView } from './task-view.js'
import type { DriverState } from './driver-state.js'
import type { DriverLogger } from './logger.js'
import type {
  DriverApi,
  DriverConfig,
  ExitResult,
  HostResources,
  TaskConfig,
  TaskEvent,
  TaskHandleState,
  TaskHandleView,
  TaskStatus,
  TaskUsage,
} from './types.js'
import type { PoolStatus } from '../webhost/index.js'
import type { TaskSettings } from './config.js'

/** The plugin's name as Nomad knows it (`driver = "iis"`). */
export const DRIVER_NAME = 'iis'

/** How long SIGINT/SIGTERM sent with SignalTask let the site drain before it is killed. */
const SIGNAL_STOP_TIMEOUT_MS = 30_000

const SUPPORTED_SIGNALS = ['SIGHUP', 'RECYCLE', 'STOP', 'START', 'SIGINT', 'SIGTERM', 'SIGKILL']

export interface DriverOptions {
  logger?: DriverLogger
  /** The agent config; setConfig replaces it. Default: every default of the plugin config. */
  config?: DriverConfig
}

export class Driver implements DriverApi {
  #logger: DriverLogger
  #config: DriverConfig
  #tasks = new TaskStore()
  #listeners = new Set<(event: TaskEvent) => void>()
  #isClosed = false

  constructor(options: DriverOptions = {}) {
    this.#logger = (options.logger ?? SILENT_LOGGER).child({ component: 'driver' })
    this.#config = options.config ?? parseDriverConfig({})
  }

  setConfig(config: DriverConfig): void {
    this.#config = config
  }

  get config(): DriverConfig {
    return this.#config
  }

  /** Why this host cannot run sites, or null when it can (the fingerprint's health). */
  checkHealth(): Promise<string | null> {
    return checkHostHealth(this.#config)
  }

  /**
   * Validates the task config, starts a site host for the task and returns
   * the handle state Nomad keeps. On any failure nothing is left running.
   *
   * @throws {DriverError} a validation code, ERR_DRIVER_TASK_EXISTS or ERR_DRIVER_START_FAILED
   */
  async startTask(task: TaskConfig): Promise<TaskHandleState> {
    this.#assertOpen()
    if (!this.#config.isEnabled) {
      throw new DriverError(
        'ERR_DRIVER_DISABLED',
        'the driver is disabled: set enabled = true in the plugin config',
      )
    }
    if (this.#tasks.has(task.id)) {
      throw new DriverError(
        'ERR_DRIVER_TASK_EXISTS',
        `task "${task.id}" is already started: stop and destroy it first`,
      )
    }

    const settings = parseTaskConfig(task.driverConfig, {
      ports: task.ports,
      driverConfig: this.#config,
    })
    const placeholderDir = this.#config.placeholderAppPath ?? BUNDLED_PLACEHOLDER_DIR
    const definition = buildSiteDefinition(settings, task, { placeholderDir })
    const log = this.#logger.child({
      taskId: task.id,
      allocId: task.allocId,
      site: definition.name,
    })
    await prepareApplicationFolders(settings, task, placeholderDir, log)

    const launched = await launchSiteHost(definition, task, this.#config.stateDir)
    const handle = new TaskHandle({
      state: launched.state,
      client: launched.client,
      isRecovered: false,
      logger: log,
      emit: (e) => this.#emit(e),
    })
    this.#tasks.set(handle)
    log.info({ pid: handle.state.siteHostPid }, 'task started')
    this.#emitStartEvents(handle, settings)
    return encodeDriverState(handle.state)
  }

  #emitStartEvents(handle: TaskHandle, settings: TaskSettings): void {
    this.#emit(taskEvent(handle, `site ${handle.state.siteName} started`, { kind: 'siteStarted' }))
    if (settings.ignoredOptions.length === 0) return
    this.#emit(
      taskEvent(
        handle,
        `options with no effect on linux were ignored: ${settings.ignoredOptions.join(', ')}`,
        { kind: 'warning', options: settings.ignoredOptions.join(',') },
      ),
    )
  }

  /**
   * Reattaches to a running site host from the handle state alone. A task
   * already tracked is left as it is.
   *
   * @throws {DriverError} ERR_DRIVER_INVALID_HANDLE, ERR_DRIVER_SITE_HOST_GONE
   */
  async recoverTask(task: TaskConfig, handleState: TaskHandleState): Promise<void> {
    this.#assertOpen()
    const decoded = decodeDriverState(handleState)
    // Nomad's RecoverTask carries the task id only in the echoed config.
    const state: DriverState = { ...decoded, taskId: task.id || decoded.taskId }
    if (this.#tasks.has(state.taskId)) return

    const log = this.#logger.child({
      taskId: state.taskId,
      allocId: state.allocId,
      site: state.siteName,
    })
    if (!(await isSiteHostAlive(state.siteHostPid))) {
      throw new DriverError(
        'ERR_DRIVER_SITE_HOST_GONE',
        `cannot recover task "${state.taskId}": its site host (pid ${state.siteHostPid}) is no longer running`,
      )
    }
    let client: SiteHostClient
    try {
      client = await SiteHostClient.connect(state.controlSocketPath)
    } catch (err) {
      throw new DriverError(
        'ERR_DRIVER_SITE_HOST_GONE',
        `cannot recover task "${state.taskId}": its site host does not answer on ${state.controlSocketPath}`,
        { cause: err },
      )
    }
    if (this.#tasks.has(state.taskId)) {
      client.close()
      return
    }
    this.#tasks.set(
      new TaskHandle({ state, client, isRecovered: true, logger: log, emit: (e) => this.#emit(e) }),
    )
    log.info({ pid: state.siteHostPid }, 'task recovered')
  }

  /** Resolves with the task's exit result once its site host has exited. */
  waitTask(taskId: string, signal?: AbortSignal): Promise<ExitResult> {
    try {
      return this.#tasks.get(taskId).wait(signal)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * Stops the site gracefully, waiting up to `timeoutMs` for requests to
   * finish, then kills the site host's process group. The signal name Nomad
   * passes is not used: a site host always drains the same way.
   */
  async stopTask(taskId: string, timeoutMs: number, signalName: string): Promise<void> {
    const handle = this.#tasks.get(taskId)
    this.#logger.info({ taskId, timeoutMs, signal: signalName }, 'stopping task')
    await handle.stop(Math.max(0, timeoutMs))
  }

  /**
   * Forgets a task. A running task is refused unless `isForced`, which kills it first.
   *
   * @throws {DriverError} ERR_DRIVER_TASK_NOT_FOUND, ERR_DRIVER_TASK_RUNNING
   */
  async destroyTask(taskId: string, isForced: boolean): Promise<void> {
    const handle = this.#tasks.get(taskId)
    if (handle.isRunning && !isForced) {
      throw new DriverError(
        'ERR_DRIVER_TASK_RUNNING',
        `task "${taskId}" is still running: stop it first or destroy it with force`,
      )
    }
    if (handle.isRunning) await handle.kill('was destroyed with force')
    handle.dispose()
    this.#tasks.delete(taskId)
    // The exit record has been read into the handle; the next run of this task starts clean.
    await removeExitRecord(handle.state.stateDir, handle.state.siteName).catch(() => {})
  }

  inspectTask(taskId: string): TaskStatus {
    return this.#tasks.get(taskId).status()
  }

  /** CPU and memory of the site host and each worker process. */
  taskStats(taskId: string): Promise<TaskUsage> {
    try {
      return this.#tasks.get(taskId).usage()
    } catch (err) {
      return Promise.reject(err)
    }
  }

  /**
   * SIGHUP or RECYCLE recycles every pool, STOP stops them, START starts
   * them; SIGINT and SIGTERM stop the task gracefully, SIGKILL kills it.
   *
   * @throws {DriverError} ERR_DRIVER_UNSUPPORTED_SIGNAL for any other signal
   */
  async signalTask(taskId: string, signalName: string): Promise<void> {
    const handle = this.#tasks.get(taskId)
    const signal = signalName.trim().toUpperCase()
    switch (signal) {
      case 'SIGHUP':
      case 'RECYCLE':
        await handle.recyclePools()
        this.#emit(taskEvent(handle, 'application pools recycled', { kind: 'signal', signal }))
        return
      case 'STOP':
        await handle.stopPools()
        this.#emit(taskEvent(handle, 'application pools stopped', { kind: 'signal', signal }))
        return
      case 'START':
        await handle.startPools()
        this.#emit(taskEvent(handle, 'application pools started', { kind: 'signal', signal }))
        return
      case 'SIGINT':
      case 'SIGTERM':
        await handle.stop(SIGNAL_STOP_TIMEOUT_MS)
        return
      case 'SIGKILL':
        await handle.kill(`was sent ${signal}`)
        return
    }
    throw new DriverError(
      'ERR_DRIVER_UNSUPPORTED_SIGNAL',
      `signal "${signalName}" is not supported by the iis driver: use one of ${SUPPORTED_SIGNALS.join(', ')}`,
    )
  }

  /** Subscribes to task events of every task; returns the unsubscribe function. */
  onEvent(listener: (event: TaskEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  findTask(allocId: string, taskName: string): TaskHandleView | undefined {
    const handle = this.#tasks.findByAlloc(allocId, taskName)
    return handle ? toView(handle) : undefined
  }

  listTasks(): TaskHandleView[] {
    return this.#tasks.values().map(toView)
  }

  poolStatus(taskId: string): Promise<PoolStatus[]> {
    return this.#withHandle(taskId, (handle) => handle.pools())
  }

  startPools(taskId: string, poolKeys?: readonly string[]): Promise<PoolStatus[]> {
    return this.#withHandle(taskId, async (handle) => {
      await handle.startPools(poolKeys)
      return handle.pools()
    })
  }

  stopPools(taskId: string, poolKeys?: readonly string[]): Promise<PoolStatus[]> {
    return this.#withHandle(taskId, async (handle) => {
      await handle.stopPools(poolKeys)
      return handle.pools()
    })
  }

  recyclePools(taskId: string, poolKeys?: readonly string[]): Promise<PoolStatus[]> {
    return this.#withHandle(taskId, async (handle) => {
      await handle.recyclePools(poolKeys)
      return handle.pools()
    })
  }

  /** Site and pool names in the host's registry (running site hosts only). */
  async listHostResources(): Promise<HostResources> {
    const entries = await readRegistry(this.#config.stateDir)
    const live: typeof entries = []
    for (const entry of entries) if (await isSiteHostAlive(entry.pid)) live.push(entry)
    return {
      sites: live.map((entry) => entry.definition.name),
      pools: live.flatMap((entry) => entry.definition.pools.map((pool) => pool.name)),
    }
  }

  /** Closes every control connection; the sites keep running. */
  async close(): Promise<void> {
    if (this.#isClosed) return
    this.#isClosed = true
    for (const handle of this.#tasks.values()) handle.dispose()
    this.#listeners.clear()
  }

  #withHandle<T>(taskId: string, action: (handle: TaskHandle) => Promise<T>): Promise<T> {
    try {
      return action(this.#tasks.get(taskId))
    } catch (err) {
      return Promise.reject(err)
    }
  }

  #emit(event: TaskEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (err) {
        this.#logger.warn({ err }, 'task event listener threw')
      }
    }
  }

  #assertOpen(): void {
    if (this.#isClosed)
      throw new DriverError('ERR_DRIVER_CLOSED', 'the driver is closed: create a new one')
  }
}
