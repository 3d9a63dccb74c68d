import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { isDriverError } from '../../src/driver/index.js'
import { readRegistry } from '../../src/webhost/index.js'
import { createFixture, createTask, freePort, waitFor } from './driver-helpers.js'

const CONFIG = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  application: [{ path: 'local' }],
  binding: [{ type: 'http', port: 'http' }],
  ...extra,
})

test('a task started from a decoded config serves, reports stats, recycles and stops within its timeout', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(
    fx.root,
    port,
    CONFIG({ applicationPool: [{ managed_runtime_version: 'None' }] }),
  )

  const handleState = await fx.driver.startTask(task)
  const view = fx.driver.findTask(task.allocId, task.name)

  assert.equal(view?.siteName, `nomad-${task.allocId}-web`)
  assert.equal(view?.siteUrl, `http://127.0.0.1:${port}/`)
  assert.equal(handleState.version, 1)
  assert.ok(handleState.driverState.length > 0)
  const response = await fetch(`http://127.0.0.1:${port}/`)
  assert.equal(response.status, 200)
  assert.match(await response.text(), /hello from the task/)
  assert.ok(
    fx.events.some(
      (e) => e.message.includes('managed_runtime_version') && e.annotations.kind === 'warning',
    ),
  )

  const pools = await fx.driver.poolStatus(task.id)
  for (const pool of pools) for (const worker of pool.workers) fx.pids.add(worker.pid)
  const stats = await fx.driver.taskStats(task.id)
  assert.ok(stats.processes.length >= 2, 'the site host and its worker are measured')
  for (const usage of stats.processes) {
    assert.ok(usage.rssBytes > 0)
    assert.ok(usage.cpuTotalMs >= 0)
  }

  await fx.driver.signalTask(task.id, 'RECYCLE')
  assert.ok(fx.events.some((e) => e.message === 'application pools recycled'))
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200)
  await waitFor(() => fx.events.some((e) => e.annotations.kind === 'poolRecycled'))

  const [recycled] = await fx.driver.poolStatus(task.id)
  const workerPid = recycled!.workers[0]!.pid
  fx.pids.add(workerPid)
  process.kill(workerPid, 'SIGKILL')
  await waitFor(() => fx.events.some((e) => e.annotations.kind === 'workerCrashed'))
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200)

  await assert.rejects(fx.driver.signalTask(task.id, 'SIGUSR1'), (err: unknown) =>
    isDriverError(err, 'ERR_DRIVER_UNSUPPORTED_SIGNAL'),
  )
  await assert.rejects(fx.driver.destroyTask(task.id, false), (err: unknown) =>
    isDriverError(err, 'ERR_DRIVER_TASK_RUNNING'),
  )

  await fx.driver.stopTask(task.id, 5000, 'SIGINT')
  const result = await fx.driver.waitTask(task.id)
  assert.equal(result.exitCode, 0)
  assert.equal(result.error, '')
  assert.equal(fx.driver.inspectTask(task.id).state, 'exited')
  await assert.rejects(fetch(`http://127.0.0.1:${port}/`))

  await fx.driver.destroyTask(task.id, false)
  assert.equal(fx.driver.findTask(task.allocId, task.name), undefined)
  assert.deepEqual(await fx.driver.listHostResources(), { sites: [], pools: [] })
})

test('an empty application folder gets the placeholder app', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, CONFIG({ application: [{ path: 'local/empty' }] }))
  t.after(() => fx.driver.destroyTask(task.id, true).catch(() => {}))

  await fx.driver.startTask(task)
  const body = await (await fetch(`http://127.0.0.1:${port}/`)).text()

  assert.match(body, /not deployed yet/)
  assert.deepEqual(await readdir(join(task.allocDir, 'web', 'local', 'empty')), ['index.html'])
})

test('a new driver recovers the task from the handle state alone, then wait and stop work', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, CONFIG())
  const handleState = await fx.driver.startTask(task)
  assert.equal((await fx.driver.listHostResources()).sites.length, 1)
  await fx.driver.close()

  const second = fx.newDriver()
  const recoveredConfig = { ...task, driverConfig: {} }
  await second.recoverTask(recoveredConfig, handleState)
  await second.recoverTask(recoveredConfig, handleState)

  assert.equal(second.listTasks().length, 1)
  assert.equal(second.listTasks()[0]!.isRecovered, true)
  assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200)
  assert.equal(second.inspectTask(task.id).state, 'running')
  assert.ok((await second.poolStatus(task.id)).length === 1)

  const aborted = new AbortController()
  const abortedWait = second.waitTask(task.id, aborted.signal)
  aborted.abort(new Error('caller gave up'))
  await assert.rejects(abortedWait, /caller gave up/)

  const waiters = [second.waitTask(task.id), second.waitTask(task.id)]
  await second.stopTask(task.id, 3000, 'SIGTERM')
  const results = await Promise.all(waiters)
  assert.deepEqual(
    results.map((r) => r.exitCode),
    [0, 0],
  )

  const third = fx.newDriver()
  await assert.rejects(third.recoverTask(recoveredConfig, handleState), (err: unknown) =>
    isDriverError(err, 'ERR_DRIVER_SITE_HOST_GONE'),
  )
  await assert.rejects(
    third.recoverTask(recoveredConfig, { version: 1, driverState: new Uint8Array() }),
    (err: unknown) => isDriverError(err, 'ERR_DRIVER_INVALID_HANDLE'),
  )
})

test('a site host killed with SIGKILL makes waitTask resolve with an error result', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(
    fx.root,
    port,
    CONFIG({ applicationPool: [{ start_mode: 'AlwaysRunning' }] }),
  )
  await fx.driver.startTask(task)
  const pools = await fx.driver.poolStatus(task.id)
  for (const pool of pools) for (const worker of pool.workers) fx.pids.add(worker.pid)
  const [entry] = await readRegistry(fx.stateDir)
  assert.ok(entry)

  process.kill(entry.pid, 'SIGKILL')
  const result = await fx.driver.waitTask(task.id)

  assert.notEqual(result.exitCode, 0)
  assert.match(result.error, /without an exit record/)
  assert.ok(
    fx.events.some((e) => e.annotations.kind === 'siteHostExited' && e.message === result.error),
  )
  assert.equal(fx.driver.inspectTask(task.id).state, 'exited')
  await fx.driver.destroyTask(task.id, false)
})

test('destroy with force kills a running task and leaves no site host behind', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, CONFIG())
  await fx.driver.startTask(task)
  assert.equal((await fx.driver.listHostResources()).sites.length, 1)

  await fx.driver.destroyTask(task.id, true)

  await waitFor(async () => (await fx.driver.listHostResources()).sites.length === 0)
  assert.throws(
    () => fx.driver.inspectTask(task.id),
    (err: unknown) => isDriverError(err, 'ERR_DRIVER_TASK_NOT_FOUND'),
  )
})

test('a start that fails leaves nothing running and says why', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const first = await createTask(fx.root, port, CONFIG())
  const second = await createTask(fx.root, port, CONFIG())
  await fx.driver.startTask(first)
  t.after(() => fx.driver.destroyTask(first.id, true).catch(() => {}))

  await assert.rejects(fx.driver.startTask(second), (err: unknown) =>
    isDriverError(err, 'ERR_DRIVER_START_FAILED'),
  )
  await assert.rejects(fx.driver.startTask(first), (err: unknown) =>
    isDriverError(err, 'ERR_DRIVER_TASK_EXISTS'),
  )
  await assert.rejects(
    fx.driver.startTask({
      ...second,
      id: `${second.allocId}/web/ffffffff`,
      driverConfig: CONFIG({ binding: [{ type: 'http', port: 'nope' }] }),
    }),
    (err: unknown) => isDriverError(err, 'ERR_DRIVER_PORT_LABEL_NOT_FOUND'),
  )

  const resources = await fx.driver.listHostResources()
  assert.deepEqual(resources.sites, [`nomad-${first.allocId}-web`])
  assert.equal(fx.driver.listTasks().length, 1)
})

test('a site host that does not stop within the timeout is killed with its workers', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(
    fx.root,
    port,
    CONFIG({ applicationPool: [{ start_mode: 'AlwaysRunning' }] }),
  )
  await fx.driver.startTask(task)
  const [pool] = await fx.driver.poolStatus(task.id)
  const workerPids = pool!.workers.map((worker) => worker.pid)
  for (const pid of workerPids) fx.pids.add(pid)
  const [entry] = await readRegistry(fx.stateDir)
  fx.pids.add(entry!.pid)
  // A stopped process cannot answer the shutdown request nor exit by itself.
  process.kill(entry!.pid, 'SIGSTOP')

  await fx.driver.stopTask(task.id, 200, 'SIGINT')
  const result = await fx.driver.waitTask(task.id)

  assert.equal(result.signal, 9)
  assert.match(result.error, /did not stop within 200 ms/)
  for (const pid of workerPids) {
    await waitFor(() => {
      try {
        process.kill(pid, 0)
        return false
      } catch {
        return true
      }
    })
  }
})
