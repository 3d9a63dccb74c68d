/**
 * The Driver service: every RPC Nomad calls for a task, translated to the
 * driver core. Failures are gRPC status errors (a failed start is never an
 * OK with a FATAL result, pitfall 7); streams stay open until the client
 * cancels; replies always carry the parts Nomad dereferences (pitfall 6).
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import type * as grpc from '@grpc/grpc-js'
import { TASK_CONFIG_SPEC } from '../driver/config.js'
import type { DriverApi } from '../driver/types.js'
import type { Message } from './convert.js'
import {
  fromDuration,
  toEventMessage,
  toExitResultMessage,
  toTaskConfig,
  toTaskStatusMessage,
} from './convert.js'
import { PluginError, toServiceError } from './errors.js'
import type { FingerprintDeps } from './fingerprint.js'
import { serveFingerprint } from './fingerprint.js'
import { readCpuMhz, StatsAccumulator } from './stats.js'

const DEFAULT_STOP_TIMEOUT_MS = 5000
const DEFAULT_STATS_INTERVAL_MS = 1000
const MIN_STATS_INTERVAL_MS = 100

type UnaryCall = grpc.ServerUnaryCall<Message, Message>
type Callback = grpc.sendUnaryData<Message>
type StreamCall = grpc.ServerWritableStream<Message, Message>

/** The Driver handlers. */
export function createDriverService(deps: FingerprintDeps): grpc.UntypedServiceImplementation {
  const { driver } = deps
  return {
    TaskConfigSchema: unary(async () => ({ spec: TASK_CONFIG_SPEC })),
    Capabilities: unary(async () => ({ capabilities: CAPABILITIES })),
    Init: unary(async () => ({})),
    // Tasks outlive the plugin: shutting down never stops them (pitfall 11).
    Shutdown: unary(async () => ({})),
    StartTask: unary(async (call) => startTask(driver, call.request)),
    RecoverTask: unary(async (call) => recoverTask(driver, call.request)),
    WaitTask: unary(async (call) => waitTask(driver, call)),
    StopTask: unary(async (call) => {
      const timeoutMs = fromDuration(call.request.timeout, DEFAULT_STOP_TIMEOUT_MS)
      await driver.stopTask(taskIdOf(call.request), timeoutMs, String(call.request.signal ?? ''))
      return {}
    }),
    DestroyTask: unary(async (call) => {
      await driver.destroyTask(taskIdOf(call.request), call.request.force === true)
      return {}
    }),
    InspectTask: unary(async (call) => ({
      task: toTaskStatusMessage(driver.inspectTask(taskIdOf(call.request))),
      driver: { attributes: {} },
    })),
    SignalTask: unary(async (call) => {
      await driver.signalTask(taskIdOf(call.request), String(call.request.signal ?? ''))
      return {}
    }),
    ExecTask: unary(async () => {
      throw new PluginError(
        'ERR_PLUGIN_UNSUPPORTED',
        'the iis driver does not run commands in tasks',
      )
    }),
    Fingerprint: (call: StreamCall) => serveFingerprint(call, deps),
    TaskEvents: (call: StreamCall) => serveEvents(driver, call),
    TaskStats: (call: StreamCall) => serveStats(driver, call, deps),
  }
}

const CAPABILITIES = {
  send_signals: true,
  exec: false,
  fs_isolation: 'NONE',
  network_isolation_modes: ['HOST'],
  must_create_network: false,
  mount_configs: 'NO_MOUNTS',
  disable_log_collection: false,
  dynamic_workload_users: false,
}

async function startTask(driver: DriverApi, request: Message): Promise<Message> {
  const task = request.task as Message | null
  const config = toTaskConfig(task)
  const handle = await driver.startTask(config)
  return {
    result: 'SUCCESS',
    driver_error_msg: '',
    handle: {
      version: handle.version,
      // echoed so that recovery after an agent restart has the config again
      config: task,
      state: 'RUNNING',
      driver_state: Buffer.from(handle.driverState),
    },
  }
}

async function recoverTask(driver: DriverApi, request: Message): Promise<Message> {
  const handle = request.handle as Message | null
  if (handle === null || handle === undefined) {
    throw new PluginError('ERR_PLUGIN_BAD_REQUEST', 'RecoverTask needs the task handle')
  }
  // RecoverTaskRequest.task_id is never set by Nomad: the id is in the handle's config.
  const config = toTaskConfig(handle.config as Message | null)
  const driverState = (handle.driver_state ?? Buffer.alloc(0)) as Uint8Array
  await driver.recoverTask(config, { version: Number(handle.version ?? 0), driverState })
  return {}
}

async function waitTask(driver: DriverApi, call: UnaryCall): Promise<Message> {
  const controller = new AbortController()
  call.on('cancelled', () => controller.abort())
  const result = await driver.waitTask(taskIdOf(call.request), controller.signal)
  return { result: toExitResultMessage(result), err: result.error }
}

function serveEvents(driver: DriverApi, call: StreamCall): void {
  const unsubscribe = driver.onEvent((event) => call.write(toEventMessage(event)))
  call.on('cancelled', unsubscribe)
}

function serveStats(driver: DriverApi, call: StreamCall, deps: FingerprintDeps): void {
  const taskId = String(call.request.task_id ?? '')
  try {
    driver.inspectTask(taskId)
  } catch (err) {
    call.emit('error', toServiceError(err))
    return
  }
  const intervalMs = Math.max(
    MIN_STATS_INTERVAL_MS,
    fromDuration(call.request.collection_interval, DEFAULT_STATS_INTERVAL_MS) ||
      DEFAULT_STATS_INTERVAL_MS,
  )
  const accumulator = new StatsAccumulator(cpuMhz())
  let timer: NodeJS.Timeout | undefined
  let isCancelled = false
  call.on('cancelled', () => {
    isCancelled = true
    clearTimeout(timer)
  })
  const tick = async () => {
    try {
      const usage = await driver.taskStats(taskId)
      if (!isCancelled) call.write(accumulator.toResponse(taskId, usage))
    } catch (err) {
      // the task may be gone; the client cancels the stream after DestroyTask
      deps.log.debug({ err, task_id: taskId }, 'task stats sample failed')
    }
    if (!isCancelled) timer = setTimeout(() => void tick(), intervalMs)
  }
  void tick()
}

let cachedCpuMhz: number | null | undefined

/** The host's core clock, read once; null where /proc/cpuinfo does not say. */
function cpuMhz(): number | null {
  if (cachedCpuMhz !== undefined) return cachedCpuMhz
  try {
    cachedCpuMhz = readCpuMhz(readFileSync('/proc/cpuinfo', 'utf8'))
  } catch {
    cachedCpuMhz = null
  }
  return cachedCpuMhz
}

function taskIdOf(request: Message): string {
  const taskId = request.task_id
  if (typeof taskId !== 'string' || taskId === '') {
    throw new PluginError('ERR_PLUGIN_BAD_REQUEST', 'the request has no task_id; send the task id')
  }
  return taskId
}

function unary(handler: (call: UnaryCall) => Promise<Message>) {
  return (call: UnaryCall, callback: Callback) => {
    handler(call).then(
      (response) => callback(null, response),
      (err: unknown) => callback(toServiceError(err), null),
    )
  }
}
