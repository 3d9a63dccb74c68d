/**
 * Every Driver RPC for a real task, over real gRPC on the plugin's unix
 * socket, with a real site host serving HTTP (reference 2.3, pitfalls 6, 7,
 * 8, 10, 16, 22, 23).
 */
import { strict as assert } from 'node:assert'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { status } from '@grpc/grpc-js'
import type { Message } from '../../src/runner/plugin-client.js'
import { isRecoverableError } from '../../src/runner/plugin-client.js'
import {
  HOSTED_CONFIG,
  httpGet,
  portOf,
  startHarness,
  STATIC_CONFIG,
  take,
  waitFor,
  writeHostedProgram,
} from './plugin-harness.js'
import type { Harness } from './plugin-harness.js'

async function startServing(harness: Harness, config: Record<string, unknown> = STATIC_CONFIG) {
  const task = await harness.newTask(config)
  const response = await harness.client.startTask(task)
  harness.track(response.handle as Message)
  return { task, handle: response.handle as Message }
}

function codeOf(err: unknown): number | undefined {
  return (err as { code?: number }).code
}

test('StartTask serves the site and returns a handle echoing the config with a version', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG, { page: '<p>served</p>' })

  const response = await harness.client.startTask(task)
  harness.track(response.handle as Message)
  const page = await httpGet(portOf(task), '/')

  const handle = response.handle as Message
  assert.equal(page.status, 200)
  assert.match(page.body, /served/)
  assert.ok((handle.version as number) >= 1)
  assert.equal(handle.state, 'RUNNING')
  assert.equal(handle.config.id, task.id)
  assert.deepEqual(handle.config.msgpack_driver_config, task.msgpack_driver_config)
  assert.deepEqual(handle.config.env, task.env)
  assert.ok((handle.driver_state as Buffer).length > 0)
})

test('InspectTask fills started_at, a zero completed_at and a result while running', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const { task } = await startServing(harness)

  const inspected = await harness.client.inspectTask(task.id as string)

  const status = inspected.task as Message
  assert.equal(status.state, 'RUNNING')
  assert.ok(status.started_at.seconds > 1_600_000_000)
  assert.deepEqual(status.completed_at, { seconds: -62135596800, nanos: 0 })
  assert.notEqual(status.result, null)
})

test('TaskStats sends stats with timestamp and aggregate usage every interval, measured fields honest', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const { task } = await startServing(harness)
  await httpGet(portOf(task), '/')

  const { messages, didEnd } = await take(harness.client.taskStats(task.id as string, 200), 3)

  assert.equal(didEnd, false)
  for (const message of messages) {
    const stats = message.stats as Message
    assert.notEqual(stats, null)
    assert.ok(stats.timestamp.seconds > 1_600_000_000)
    assert.ok(stats.timestamp.nanos >= 0 && stats.timestamp.nanos < 1e9)
    const usage = stats.agg_resource_usage as Message
    assert.ok(usage.memory.rss > 0)
    assert.deepEqual(usage.memory.measured_fields, ['RSS'])
    assert.deepEqual(usage.cpu.measured_fields.slice(0, 3), ['SYSTEM_MODE', 'USER_MODE', 'PERCENT'])
    assert.ok(Object.keys(stats.resource_usage_by_pid as object).length >= 1)
  }
  const seconds = messages.map(
    (m) => m.stats.timestamp.seconds * 1e3 + m.stats.timestamp.nanos / 1e6,
  )
  assert.ok(seconds[2] > seconds[1] && seconds[1] > seconds[0])
})

test('StopTask with a timeout ends the task and the pending WaitTask returns a result', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const { task } = await startServing(harness)
  const waiting = harness.client.waitTask(task.id as string)

  await harness.client.stopTask(task.id as string, 2000, 'SIGTERM')
  const exit = await waiting
  const again = await harness.client.waitTask(task.id as string)

  assert.notEqual(exit.result, null)
  assert.equal(typeof exit.result.exit_code, 'number')
  assert.deepEqual(again.result, exit.result)
  await assert.rejects(httpGet(portOf(task), '/'))
})

test('DestroyTask with force stops a running task and forgets it', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const { task } = await startServing(harness)

  await harness.client.destroyTask(task.id as string, true)
  const inspect = harness.client.inspectTask(task.id as string)

  await assert.rejects(inspect, (err) => codeOf(err) === status.NOT_FOUND)
  await assert.rejects(httpGet(portOf(task), '/'))
})

test('SignalTask SIGHUP recycles the pools and TaskEvents reports it; the stream stays open', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const events: Message[] = []
  const stream = harness.client.taskEvents()
  let didEnd = false
  stream.on('data', (event: Message) => events.push(event))
  stream.on('end', () => (didEnd = true))
  stream.on('error', () => undefined)
  t.after(() => stream.cancel())
  const { task } = await startServing(harness)
  await harness.client.init()

  await harness.client.signalTask(task.id as string, 'SIGHUP')
  await waitFor(() => events.some((e) => /recycl/i.test(e.message as string)))
  const page = await httpGet(portOf(task), '/')

  const event = events.find((e) => /recycl/i.test(e.message as string))!
  assert.equal(event.alloc_id, task.alloc_id)
  assert.equal(event.task_name, task.name)
  assert.ok(event.timestamp.seconds > 1_600_000_000)
  assert.equal(page.status, 200)
  assert.equal(didEnd, false)
})

test('SignalTask STOP and START stop and start the pools', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const { task } = await startServing(harness)

  await harness.client.signalTask(task.id as string, 'STOP')
  const stopped = await httpGet(portOf(task), '/').catch(() => ({ status: 0 }))
  await harness.client.signalTask(task.id as string, 'START')
  const started = await httpGet(portOf(task), '/')

  assert.notEqual(stopped.status, 200)
  assert.equal(started.status, 200)
})

test("unknown task ids get NOT_FOUND with Go drivers' text and the plugin keeps serving", async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const id = 'no-such-alloc/web/00000000'
  const calls: [string, () => Promise<unknown>][] = [
    ['WaitTask', () => harness.client.waitTask(id)],
    ['StopTask', () => harness.client.stopTask(id, 1000, '')],
    ['InspectTask', () => harness.client.inspectTask(id)],
    ['SignalTask', () => harness.client.signalTask(id, 'SIGHUP')],
    ['TaskStats', () => take(harness.client.taskStats(id, 1000), 1)],
  ]

  for (const [name, call] of calls) {
    await assert.rejects(
      call(),
      (err: { code?: number; details?: string }) =>
        err.code === status.NOT_FOUND && /task not found for given id/.test(err.details ?? ''),
      name,
    )
  }
  const info = await harness.client.pluginInfo()

  assert.equal(info.name, 'iis')
})

test('a second StartTask for the same id is ALREADY_EXISTS and the first task keeps serving', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const { task } = await startServing(harness)

  const second = harness.client.startTask(task)

  await assert.rejects(second, (err) => codeOf(err) === status.ALREADY_EXISTS)
  assert.equal((await httpGet(portOf(task), '/')).status, 200)
})

test('malformed msgpack in StartTask is INVALID_ARGUMENT naming the config', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG)

  const bad = harness.client.startTask({
    ...task,
    msgpack_driver_config: Buffer.from([0x83, 0xc1]),
  })

  await assert.rejects(
    bad,
    (err: { code?: number; details?: string }) =>
      err.code === status.INVALID_ARGUMENT && /msgpack_driver_config/.test(err.details ?? ''),
  )
  const ok = await harness.client.startTask(task)
  harness.track(ok.handle as Message)
})

test('a config the driver rejects and a missing port label are INVALID_ARGUMENT with the reason', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const noPort = await harness.newTask({
    application: [{ path: 'local' }],
    binding: [{ type: 'http', port: 'admin' }],
  })
  const badPool = await harness.newTask({
    application: [{ path: 'local', application_pool: 'nope' }],
    binding: [{ type: 'http', port: 'http' }],
  })

  await assert.rejects(
    harness.client.startTask(noPort),
    (err: { code?: number; details?: string }) =>
      err.code === status.INVALID_ARGUMENT && /admin/.test(err.details ?? ''),
  )
  await assert.rejects(
    harness.client.startTask(badPool),
    (err: { code?: number; details?: string }) =>
      err.code === status.INVALID_ARGUMENT && /nope/.test(err.details ?? ''),
  )
})

test('a start that fails at run time is a gRPC error with the RecoverableError detail, never OK', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.after(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const task = await harness.newTask(STATIC_CONFIG, { ports: [{ label: 'http', value: port }] })

  const start = harness.client.startTask(task)

  await assert.rejects(start, (err) => {
    assert.notEqual(codeOf(err), status.UNAVAILABLE)
    assert.notEqual(codeOf(err), status.OK)
    assert.equal(isRecoverableError(err), true)
    return true
  })
})

test('ExecTask is UNIMPLEMENTED, as Capabilities say', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())

  const capabilities = await harness.client.capabilities()
  const exec = harness.client.execTask('any/web/00000000', ['true'], 1000)

  assert.equal(capabilities.exec, false)
  assert.equal(capabilities.send_signals, true)
  assert.equal(capabilities.fs_isolation, 'NONE')
  await assert.rejects(exec, (err) => codeOf(err) === status.UNIMPLEMENTED)
})

const STUBBORN_PROGRAM = `
const http = require('node:http')
process.on('SIGTERM', () => console.log('ignoring SIGTERM'))
process.on('SIGINT', () => console.log('ignoring SIGINT'))
http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.argv[2]), '127.0.0.1')
`

test('StopTask gives up on a program that ignores its signal after the timeout and kills it', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const task = await harness.newTask(HOSTED_CONFIG)
  writeHostedProgram(task, STUBBORN_PROGRAM)
  const response = await harness.client.startTask(task)
  harness.track(response.handle as Message)
  const programPid = Number((await httpGet(portOf(task), '/')).body)
  const waiting = harness.client.waitTask(task.id as string)

  await harness.client.stopTask(task.id as string, 1000, 'SIGTERM')
  const exit = await waiting
  await waitFor(() => !isAlive(programPid))

  assert.notEqual(exit.result, null)
  assert.equal(isAlive(programPid), false)
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
