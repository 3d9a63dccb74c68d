// Each pool setting shown happening with short times, on real programs run
// by a hosted pool behind a real HTTP server on loopback.
import assert from 'node:assert/strict'
import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import {
  NODE_PATH,
  expressApp,
  isAlive,
  nodeProgramApp,
  startSite,
  waitFor,
} from '../fixtures/hosted/harness.js'

async function pidOf(url: string): Promise<number> {
  const body = (await (await fetch(url)).json()) as { pid: number }
  return body.pid
}

test('idle_timeout stops the program, the pool stays Started and the next request starts it', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }], {
    idleTimeoutMs: 200,
  })
  const first = await pidOf(site.url)

  await site.waitForEvent('workerExited', (e) => e.details.pid === String(first))
  const workersWhileIdle = site.pool.status().workers.length
  const second = await pidOf(site.url)

  assert.equal(workersWhileIdle, 0)
  assert.equal(site.pool.state, 'Started')
  assert.notEqual(second, first)
  assert.equal(isAlive(first), false)
})

test('periodic_restart recycles overlapped: the new program is up before the old one exits', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }], {
    startMode: 'AlwaysRunning',
    periodicRestartMs: 400,
  })
  const first = await pidOf(site.url)

  await site.waitForEvent('poolRecycled')
  const oldExited = await site.waitForEvent('workerExited', (e) => e.details.pid === String(first))
  const started = site.events.filter((e) => e.kind === 'workerStarted')
  const second = await pidOf(site.url)

  assert.ok(started.length >= 2)
  assert.ok(site.events.indexOf(started[1]) < site.events.indexOf(oldExited))
  assert.notEqual(second, first)
})

test('an overlapped recycle under a request loop fails no request', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }], {
    startMode: 'AlwaysRunning',
  })
  let isRunning = true
  const statuses: number[] = []
  const loop = (async () => {
    while (isRunning) {
      const res = await fetch(`${site.url}/slow?ms=5`)
      await res.arrayBuffer()
      statuses.push(res.status)
    }
  })()

  for (let i = 0; i < 5; i++) await site.pool.recycle()
  isRunning = false
  await loop

  assert.ok(statuses.length > 0)
  assert.deepEqual(
    statuses.filter((s) => s !== 200),
    [],
  )
})

test('disable_overlapped_recycle stops the old program before the new one starts', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }], {
    startMode: 'AlwaysRunning',
    disableOverlappedRecycle: true,
  })
  const from = site.events.length

  await site.pool.recycle()

  const kinds = site.events
    .slice(from)
    .map((e) => e.kind)
    .filter((k) => k.startsWith('worker'))
  assert.deepEqual(kinds, ['workerExited', 'workerStarted'])
})

test('rapid-fail protection stops the pool when a program exits at once, without spinning', async (t) => {
  const site = await startSite(
    t,
    [{ alias: '/', physicalPath: await nodeProgramApp(t, 'exit-at-once.js') }],
    {
      rapidFailProtection: { isEnabled: true, maxCrashes: 3, intervalMs: 60_000 },
    },
  )

  const statuses: number[] = []
  for (let i = 0; i < 6; i++) statuses.push((await fetch(site.url)).status)
  const tripped = await site.waitForEvent('rapidFailProtection')
  await site.waitForEvent('poolStopped')
  const crashes = site.events.filter((e) => e.kind === 'workerCrashed').length

  assert.deepEqual(statuses, [503, 503, 503, 503, 503, 503])
  assert.equal(crashes, 3)
  assert.match(tripped.message, /rapid-fail protection: 3 failures/)
  assert.equal(site.pool.state, 'Stopped')
  assert.equal(site.pool.isStoppedByFailure, true)
  assert.match(site.pool.status().lastError ?? '', /exited with code 3/)
})

test('an AlwaysRunning program that exits at once starts the pool, then trips rapid-fail', async (t) => {
  const app = await nodeProgramApp(t, 'exit-at-once.js')
  const site = await startSite(t, [{ alias: '/', physicalPath: app }], {
    startMode: 'AlwaysRunning',
    rapidFailProtection: { isEnabled: true, maxCrashes: 3, intervalMs: 60_000 },
  })

  await site.waitForEvent('rapidFailProtection')
  await site.waitForEvent('poolStopped')
  const crashes = site.events.filter((e) => e.kind === 'workerCrashed').length

  assert.equal(crashes, 3)
  assert.equal(site.pool.isStoppedByFailure, true)
})

test('an AlwaysRunning program that keeps crashing trips rapid-fail protection', async (t) => {
  const app = await expressApp(t)
  const site = await startSite(t, [{ alias: '/', physicalPath: app }], {
    startMode: 'AlwaysRunning',
    rapidFailProtection: { isEnabled: true, maxCrashes: 3, intervalMs: 60_000 },
  })

  for (let i = 0; i < 3; i++) {
    const from = site.events.length
    const pid = site.pool.status().workers[0]?.pid ?? (await pidOf(site.url))
    process.kill(pid, 'SIGKILL')
    await site.waitForEvent('workerCrashed', () => true, from)
  }
  await site.waitForEvent('rapidFailProtection')
  await site.waitForEvent('poolStopped')

  assert.equal(site.pool.state, 'Stopped')
  assert.equal((await fetch(site.url)).status, 503)
})

test('a pool stopped on purpose is not a failure', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])
  const pid = await pidOf(site.url)

  await site.pool.stop()

  assert.equal(site.pool.state, 'Stopped')
  assert.equal(site.pool.isStoppedByFailure, false)
  assert.equal(isAlive(pid), false)
  assert.equal((await fetch(site.url)).status, 503)
})

test('a stopped pool with TcpLevel drops the connection instead of answering', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }], {
    serviceUnavailableResponse: 'TcpLevel',
  })

  await site.pool.stop()

  await assert.rejects(fetch(site.url), TypeError)
})

test('start_time_limit: a program that never listens is killed and the request gets 503', async (t) => {
  const site = await startSite(
    t,
    [{ alias: '/', physicalPath: await nodeProgramApp(t, 'never-listens.js') }],
    {
      startTimeLimitMs: 300,
    },
  )

  const res = await fetch(site.url)
  const body = await res.text()
  const crashed = await site.waitForEvent('workerCrashed')
  const exited = await site.waitForEvent('workerExited')

  assert.equal(res.status, 503)
  assert.match(body, /start_time_limit/)
  assert.match(crashed.message, /failed to start/)
  assert.equal(isAlive(Number(exited.details.pid)), false)
})

test('shutdown_time_limit: a program that ignores SIGTERM is killed after the limit', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }], {
    shutdownTimeLimitMs: 300,
    env: { NODE_PATH, FIXTURE_IGNORE_SIGTERM: '1' },
  })
  await pidOf(site.url)

  await site.pool.stop()
  const exited = await site.waitForEvent('workerExited')

  assert.equal(exited.details.signal, 'SIGKILL')
})

test('queue_length: requests beyond the queue get 503 at once while the program starts', async (t) => {
  const site = await startSite(
    t,
    [{ alias: '/', physicalPath: await nodeProgramApp(t, 'never-listens.js') }],
    {
      queueLength: 2,
      startTimeLimitMs: 60_000,
    },
  )
  const waiting = [fetch(site.url), fetch(site.url)]
  await waitFor(() => site.pool.application('/')?.queuedRequests === 2)

  const refused = await fetch(site.url)
  const refusedBody = await refused.text()
  await site.pool.stop(1000)
  const waited = await Promise.all(waiting)

  assert.equal(refused.status, 503)
  assert.match(refusedBody, /queue is full/)
  assert.deepEqual(
    waited.map((r) => r.status),
    [503, 503],
  )
})

test('requests that arrive while the program starts wait for it instead of failing', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])

  const answers = await Promise.all([1, 2, 3, 4, 5].map(() => fetch(site.url)))

  assert.deepEqual(
    answers.map((r) => r.status),
    [200, 200, 200, 200, 200],
  )
  assert.equal(site.events.filter((e) => e.kind === 'workerStarted').length, 1)
})

test('enable_preload with AlwaysRunning sends a warm-up request after each start', async (t) => {
  const site = await startSite(
    t,
    [{ alias: '/', physicalPath: await expressApp(t), enablePreload: true }],
    {
      startMode: 'AlwaysRunning',
    },
  )

  await site.waitForEvent('warning', (e) => /warm-up request answered/.test(e.message))
  const { hits } = (await (await fetch(`${site.url}/hits`)).json()) as { hits: number }

  assert.equal(hits, 2)
})

test('app_offline.htm serves its content with 503 and stops the program until removed', async (t) => {
  const app = await expressApp(t)
  const site = await startSite(t, [{ alias: '/', physicalPath: app }])
  const pid = await pidOf(site.url)

  // Written whole, then renamed into place, so the watcher never sees it half written.
  await writeFile(join(app, 'app_offline.tmp'), '<h1>down for maintenance</h1>')
  await rename(join(app, 'app_offline.tmp'), join(app, 'app_offline.htm'))
  await site.waitForEvent('workerExited', (e) => e.details.pid === String(pid))
  const offline = await fetch(`${site.url}/anything`)
  const offlineBody = await offline.text()
  await rm(join(app, 'app_offline.htm'))
  await site.waitForEvent('warning', (e) => /online again/.test(e.message))
  const back = await fetch(site.url)

  assert.equal(offline.status, 503)
  assert.equal(offlineBody, '<h1>down for maintenance</h1>')
  assert.equal(isAlive(pid), false)
  assert.equal(back.status, 200)
})

test('stop and destroy may be repeated, and a destroyed pool refuses requests', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])
  const pid = await pidOf(site.url)

  await Promise.all([site.pool.stop(), site.pool.stop()])
  await site.pool.destroy()
  await site.pool.destroy()
  const res = await fetch(site.url)

  assert.equal(res.status, 503)
  assert.equal(isAlive(pid), false)
})

test('a pool started again after a stop serves from a new program', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])
  const first = await pidOf(site.url)

  await site.pool.stop()
  await site.pool.start()
  const second = await pidOf(site.url)

  assert.equal(site.pool.state, 'Started')
  assert.notEqual(second, first)
})
