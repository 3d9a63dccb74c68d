import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readRegistry } from '../../src/webhost/index.js'
import { createFixture, createTask, freePort, waitFor } from './driver-helpers.js'

test('two pools, an aliased application and a virtual directory are served as the job describes', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, {
    applicationPool: [{ name: 'appA', start_mode: 'AlwaysRunning' }],
    application: [
      { path: 'local', virtual_directory: [{ alias: 'docs', path: '../alloc/data/docs' }] },
      { path: 'local/a', alias: 'app-a', application_pool: 'appA' },
    ],
    binding: [{ type: 'http', port: 'http' }],
  })
  await mkdir(join(task.allocDir, 'web', 'local', 'a'), { recursive: true })
  await writeFile(join(task.allocDir, 'web', 'local', 'a', 'index.html'), 'app a')
  await mkdir(join(task.allocDir, 'alloc', 'data', 'docs'), { recursive: true })
  await writeFile(join(task.allocDir, 'alloc', 'data', 'docs', 'guide.txt'), 'the guide')
  await fx.driver.startTask(task)
  t.after(() => fx.driver.destroyTask(task.id, true).catch(() => {}))
  const base = `http://127.0.0.1:${port}`

  const pools = await fx.driver.poolStatus(task.id)
  for (const pool of pools) for (const worker of pool.workers) fx.pids.add(worker.pid)

  assert.deepEqual(
    pools.map((pool) => [pool.key, pool.name]),
    [
      ['default', `nomad-${task.allocId}-web`],
      ['appA', `nomad-${task.allocId}-web-appA`],
    ],
  )
  assert.match(await (await fetch(`${base}/`)).text(), /hello from the task/)
  assert.equal(await (await fetch(`${base}/app-a/`)).text(), 'app a')
  assert.equal(await (await fetch(`${base}/docs/guide.txt`)).text(), 'the guide')
  assert.deepEqual(fx.driver.findTask(task.allocId, 'web')?.poolNames, [
    `nomad-${task.allocId}-web`,
    `nomad-${task.allocId}-web-appA`,
  ])
})

test('the STOP and START signals stop and start every pool of the task', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, {
    application: [{ path: 'local' }],
    binding: [{ type: 'http', port: 'http' }],
  })
  await fx.driver.startTask(task)
  t.after(() => fx.driver.destroyTask(task.id, true).catch(() => {}))
  const url = `http://127.0.0.1:${port}/`

  await fx.driver.signalTask(task.id, 'STOP')
  const whileStopped = await fetch(url)
  const stoppedStates = (await fx.driver.poolStatus(task.id)).map((pool) => pool.state)
  await fx.driver.signalTask(task.id, 'START')
  const afterStart = await fetch(url)

  assert.equal(whileStopped.status, 503)
  assert.deepEqual(stoppedStates, ['Stopped'])
  assert.equal(afterStart.status, 200)
  assert.equal(fx.driver.inspectTask(task.id).state, 'running')
})

test('a recovered task whose site host is killed resolves its waiters with an error result', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, {
    application: [{ path: 'local' }],
    binding: [{ type: 'http', port: 'http' }],
  })
  const handleState = await fx.driver.startTask(task)
  await fx.driver.close()
  const second = fx.newDriver()
  await second.recoverTask({ ...task, driverConfig: {} }, handleState)
  const waiting = second.waitTask(task.id)
  const [{ pid }] = await readRegistry(fx.stateDir)

  process.kill(pid, 'SIGKILL')
  const result = await waiting

  assert.notEqual(result.exitCode, 0)
  assert.notEqual(result.error, '')
  await waitFor(() => second.inspectTask(task.id).state === 'exited')
})
