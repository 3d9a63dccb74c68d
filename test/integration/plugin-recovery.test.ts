/**
 * Tasks outlive the plugin: SIGKILL or an orderly shutdown of the plugin
 * leaves every site serving, and a new plugin process given RecoverTask
 * (with an empty task_id and, after an agent restart, no driver config)
 * controls the task again (reference 1.9, 5, pitfalls 10, 11, 23).
 */
import { strict as assert } from 'node:assert'
import { request } from 'node:http'
import { test } from 'node:test'
import { status } from '@grpc/grpc-js'
import type { Message } from '../../src/runner/plugin-client.js'
import {
  MAIN_JS,
  freePort,
  httpGet,
  portOf,
  startHarness,
  STATIC_CONFIG,
  take,
  waitFor,
} from './plugin-harness.js'

/** Sends requests one after another until stopped, counting failures. */
function keepRequesting(port: number, maxRequests = 20_000) {
  const counts = { ok: 0, failed: 0, errors: [] as string[] }
  let isStopped = false
  const done = (async () => {
    while (!isStopped && counts.ok + counts.failed < maxRequests) {
      try {
        const page = await httpGet(port, '/')
        if (page.status === 200) counts.ok += 1
        else {
          counts.failed += 1
          counts.errors.push(`status ${page.status}`)
        }
      } catch (err) {
        counts.failed += 1
        counts.errors.push((err as Error).message)
      }
    }
  })()
  return {
    counts,
    stop: async () => {
      isStopped = true
      await done
    },
  }
}

/** The handle as Nomad gives it back after an agent restart: no driver config bytes. */
function afterAgentRestart(handle: Message): Message {
  return { ...handle, config: { ...handle.config, msgpack_driver_config: Buffer.alloc(0) } }
}

test('SIGKILL of the plugin fails no request, and a new plugin recovers the task fully', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG)
  const { handle } = await harness.client.startTask(task)
  harness.track(handle as Message)
  const load = keepRequesting(portOf(task))
  t.after(() => load.stop())
  await waitFor(() => load.counts.ok > 20)

  await harness.client.kill()
  const okWhileDown = load.counts.ok
  await waitFor(() => load.counts.ok > okWhileDown + 20)
  const next = await harness.launch()
  await harness.configure(next)
  await next.recoverTask(afterAgentRestart(handle as Message))
  await next.recoverTask(afterAgentRestart(handle as Message))
  const okAfterRecover = load.counts.ok
  await waitFor(() => load.counts.ok > okAfterRecover + 20)
  await load.stop()

  assert.equal(load.counts.failed, 0, load.counts.errors.slice(0, 3).join('; '))
  const inspected = await next.inspectTask(task.id as string)
  assert.equal(inspected.task.state, 'RUNNING')
  const { messages } = await take(next.taskStats(task.id as string, 200), 2)
  assert.ok(messages[1].stats.agg_resource_usage.memory.rss > 0)
  await next.signalTask(task.id as string, 'SIGHUP')
  const waiting = next.waitTask(task.id as string)
  await next.stopTask(task.id as string, 2000, '')
  const exit = await waiting
  assert.notEqual(exit.result, null)
  await assert.rejects(httpGet(portOf(task), '/'))
})

test('an orderly plugin shutdown (Driver.Shutdown, controller Shutdown) leaves the site serving', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG)
  const { handle } = await harness.client.startTask(task)
  harness.track(handle as Message)

  const exit = await harness.client.shutdown()
  const page = await httpGet(portOf(task), '/')
  const next = await harness.launch()
  await harness.configure(next)
  await next.recoverTask(afterAgentRestart(handle as Message))

  assert.deepEqual(exit, { code: 0, signal: null })
  assert.equal(page.status, 200)
  assert.equal((await next.inspectTask(task.id as string)).task.state, 'RUNNING')
})

test('a handle whose site host is gone is refused by RecoverTask so Nomad restarts the task', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG)
  const { handle } = await harness.client.startTask(task)
  const pid = harness.track(handle as Message)
  await harness.client.kill()
  process.kill(-pid, 'SIGKILL')
  await waitFor(() => {
    try {
      process.kill(pid, 0)
      return false
    } catch {
      return true
    }
  })

  const next = await harness.launch()
  await harness.configure(next)
  const recover = next.recoverTask(afterAgentRestart(handle as Message))

  await assert.rejects(recover, (err: { code?: number; details?: string }) => {
    assert.equal(err.code, status.NOT_FOUND)
    assert.match(err.details ?? '', /no longer running|does not answer/)
    return true
  })
})

test('a handle without driver state or config is refused with INVALID_ARGUMENT, not a crash', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG)

  const noState = harness.client.recoverTask({ version: 1, config: task, state: 'RUNNING' })
  const noConfig = harness.client.recoverTask({ version: 1, state: 'RUNNING' })

  await assert.rejects(noState, (err: { code?: number }) => err.code === status.INVALID_ARGUMENT)
  await assert.rejects(noConfig, (err: { code?: number }) => err.code === status.INVALID_ARGUMENT)
  assert.equal((await harness.client.pluginInfo()).name, 'iis')
})

/** GET with the API key, resolving with the status code. */
function apiStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { 'x-api-key': 'test-key' }, agent: false },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

test('the Management API started by plugin args answers for a task, also after a recovery', async (t) => {
  const port = await freePort()
  const args = [MAIN_JS, `--management-api-port=${port}`, '--management-api-key=test-key']
  const harness = await startHarness({}, { args })
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG)
  const { handle } = await harness.client.startTask(task)
  harness.track(handle as Message)
  const path = `/api/v1/allocs/${task.alloc_id as string}/${task.name as string}/status`
  const reachable = async () => (await apiStatus(port, path).catch(() => 0)) === 200

  await waitFor(reachable)
  await harness.client.kill()
  const next = await harness.launch()
  await harness.configure(next)
  await next.recoverTask(afterAgentRestart(handle as Message))
  await waitFor(reachable)

  assert.equal(await apiStatus(port, path), 200)
  assert.equal(await apiStatus(port, `/api/v1/allocs/${task.alloc_id as string}/other/status`), 404)
})

test('SIGTERM ends the plugin cleanly and leaves the task serving, even started from cwd /', async (t) => {
  const harness = await startHarness({}, { cwd: '/' })
  t.after(() => harness.cleanup())
  const task = await harness.newTask(STATIC_CONFIG)
  const { handle } = await harness.client.startTask(task)
  harness.track(handle as Message)

  process.kill(harness.client.pid!, 'SIGTERM')
  const exit = await harness.client.exited
  const page = await httpGet(portOf(task), '/')

  assert.deepEqual(exit, { code: 0, signal: null })
  assert.equal(page.status, 200)
})
