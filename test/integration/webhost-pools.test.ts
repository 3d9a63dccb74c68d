/**
 * Application pools seen from outside: on-demand start, stop (503 or a
 * dropped connection), isolation between pools, crashed workers, overlapped
 * recycle under load, and the task's environment reaching the workers.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { isProcessAlive, readExitRecord } from '../../src/webhost/index.js'
import {
  app,
  makeSite,
  pool,
  rawRequest,
  startSite,
  waitFor,
  writeFiles,
} from './webhost-fixture.js'
import type { TestContext } from 'node:test'
import type { PoolDefinition } from '../../src/webhost/index.js'
import type { StartedFixture } from './webhost-fixture.js'

/** A root application in pool `default` and `/app-a` in pool `a`. */
async function twoPoolSite(
  t: TestContext,
  overrides: Partial<PoolDefinition> = {},
): Promise<StartedFixture> {
  const fixture = await makeSite(t, (dir) => {
    writeFiles(dir, { 'root/index.html': 'root', 'a/index.html': 'pool a' })
    return {
      applications: [app('/', join(dir, 'root')), app('/app-a', join(dir, 'a'), 'a')],
      pools: [pool('default', overrides), pool('a', overrides)],
    }
  })
  return startSite(t, fixture)
}

async function workerPid(site: StartedFixture, key: string): Promise<number | undefined> {
  const status = await site.client.status()
  return status.pools.find((p) => p.key === key)?.workers[0]?.pid
}

/**
 * A request on a connection closed after the answer: a kept-alive one would
 * stay in the client's pool, and reusing it after its worker was killed is a
 * client-side race no server can prevent.
 */
async function getWithoutKeepAlive(site: StartedFixture, path: string): Promise<string> {
  return rawRequest(site.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
}

/** SIGKILLs one worker; refuses anything but a positive pid (never a process group or -1). */
function killWorker(pid: number | undefined): void {
  assert.ok(pid !== undefined && Number.isInteger(pid) && pid > 1, `no worker pid to kill: ${pid}`)
  process.kill(pid, 'SIGKILL')
}

describe('application pools', () => {
  it('start an OnDemand worker only on the first request', async (t) => {
    const site = await twoPoolSite(t)

    const before = await site.client.status()
    const body = await (await fetch(site.url('/app-a/'))).text()
    const after = await site.client.status()

    assert.deepEqual(
      before.pools.map((p) => [p.key, p.state, p.workers.length]),
      [
        ['default', 'Started', 0],
        ['a', 'Started', 0],
      ],
    )
    assert.equal(body, 'pool a')
    assert.equal(after.pools.find((p) => p.key === 'a')?.workers.length, 1)
    assert.equal(after.pools.find((p) => p.key === 'default')?.workers.length, 0)
  })

  it('keep serving one pool while another is stopped, which answers 503', async (t) => {
    const site = await twoPoolSite(t)
    await (await fetch(site.url('/app-a/'))).text()

    await site.client.stopPool('a')
    const stopped = await fetch(site.url('/app-a/'))
    const other = await fetch(site.url('/'))
    const status = await site.client.status()

    assert.equal(stopped.status, 503)
    assert.equal(other.status, 200)
    assert.equal(status.pools.find((p) => p.key === 'a')?.state, 'Stopped')
    assert.equal(status.pools.find((p) => p.key === 'a')?.workers.length, 0)
  })

  it('drop the connection of a stopped TcpLevel pool instead of answering', async (t) => {
    const site = await twoPoolSite(t, { serviceUnavailableResponse: 'TcpLevel' })
    await site.client.stopPool('a')

    const answer = await rawRequest(
      site.port,
      'GET /app-a/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )

    assert.equal(answer, '')
  })

  it('serve a kept-alive connection whose requests go to different pools, a stopped one included', async (t) => {
    const site = await twoPoolSite(t)
    const ask = (path: string, close = false): string =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\n${close ? 'Connection: close\r\n' : ''}\r\n`

    const mixed = await rawRequest(site.port, ask('/') + ask('/app-a/') + ask('/', true))
    await site.client.stopPool('a')
    const withStopped = await rawRequest(site.port, ask('/') + ask('/app-a/', true))

    assert.match(
      mixed,
      /^HTTP\/1\.1 200 [^]*\r\n\r\nroot[^]*200 [^]*\r\n\r\npool a[^]*200 [^]*\r\n\r\nroot$/,
    )
    assert.match(withStopped, /^HTTP\/1\.1 200 [^]*\r\n\r\nroot[^]*HTTP\/1\.1 503 /)
  })

  it('replace a worker killed with SIGKILL on the next request', async (t) => {
    const site = await twoPoolSite(t)
    await getWithoutKeepAlive(site, '/')
    const first = await workerPid(site, 'default')
    assert.ok(first !== undefined)

    killWorker(first)
    await waitFor(async () => (await workerPid(site, 'default')) === undefined, 'crash noticed')
    const res = await fetch(site.url('/'))
    const second = await workerPid(site, 'default')

    assert.equal(res.status, 200)
    assert.ok(second !== undefined && second !== first)
  })

  it('recycle overlapped under a steady request loop without a failed request', async (t) => {
    const site = await twoPoolSite(t, { startMode: 'AlwaysRunning' })
    const first = await workerPid(site, 'default')
    let isRunning = true
    const failures: string[] = []
    let served = 0
    const loop = async (): Promise<void> => {
      while (isRunning) {
        try {
          const res = await fetch(site.url('/'))
          if ((await res.text()) === 'root' && res.status === 200) served++
          else failures.push(`status ${res.status}`)
        } catch (err) {
          failures.push(String((err as Error).cause ?? err))
        }
      }
    }
    const loops = [loop(), loop(), loop(), loop()]

    await waitFor(() => served > 50, 'requests before the recycle')
    await site.client.recyclePool('default')
    const afterFirst = served
    await waitFor(() => served > afterFirst + 50, 'requests after the first recycle')
    await site.client.recyclePool('default')
    const afterSecond = served
    await waitFor(() => served > afterSecond + 50, 'requests after the second recycle')
    isRunning = false
    await Promise.all(loops)
    const last = await workerPid(site, 'default')

    assert.deepEqual(failures, [])
    assert.ok(last !== undefined && last !== first)
  })

  it('recycle without overlap when disableOverlappedRecycle is set', async (t) => {
    const site = await twoPoolSite(t, {
      startMode: 'AlwaysRunning',
      disableOverlappedRecycle: true,
    })
    const first = await workerPid(site, 'default')

    await site.client.recyclePool('default')
    const status = await site.client.status()

    assert.equal(status.pools[0]?.workers.length, 1)
    assert.notEqual(status.pools[0]?.workers[0]?.pid, first)
    assert.equal((await fetch(site.url('/'))).status, 200)
  })

  it('give the workers the pool environment', async (t) => {
    const site = await twoPoolSite(t, {
      startMode: 'AlwaysRunning',
      env: { NOMAD_TASK_NAME: 'web', GREETING: 'hi there' },
    })
    const pid = await workerPid(site, 'a')
    assert.ok(pid !== undefined)

    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')

    assert.ok(environ.includes('GREETING=hi there'))
    assert.ok(environ.includes('NOMAD_TASK_NAME=web'))
  })

  it('share connections among maxProcesses workers and keep serving when one of them dies', async (t) => {
    const site = await twoPoolSite(t, { startMode: 'AlwaysRunning', maxProcesses: 2 })
    const before = (await site.client.status()).pools[0]?.workers.map((w) => w.pid) ?? []

    killWorker(before[0])
    await waitFor(
      async () => !(await site.client.status()).pools[0]?.workers.some((w) => w.pid === before[0]),
      'crash noticed',
    )
    const res = await fetch(site.url('/'))
    await waitFor(async () => (await site.client.status()).pools[0]?.workers.length === 2, 'refill')

    assert.equal(before.length, 2)
    assert.equal(res.status, 200)
  })

  it('end the site host with a rapid-fail exit record after too many crashes in the interval', async (t) => {
    const site = await twoPoolSite(t, {
      rapidFailProtection: { isEnabled: true, maxCrashes: 2, intervalMs: 60_000 },
    })
    for (let crash = 0; crash < 2; crash++) {
      await getWithoutKeepAlive(site, '/')
      const pid = await workerPid(site, 'default')
      killWorker(pid)
      if (crash === 0)
        await waitFor(async () => (await workerPid(site, 'default')) !== pid, 'crash noticed')
    }

    await waitFor(() => !isProcessAlive(site.host.pid), 'site host exit')
    const record = await readExitRecord(site.stateDir, site.def.name)

    assert.equal(record?.exitCode, 1)
    assert.match(record?.error ?? '', /rapid-fail protection/)
  })

  it('stop an idle OnDemand worker after the idle timeout and start another on demand', async (t) => {
    const site = await twoPoolSite(t, { idleTimeoutMs: 300 })
    await rawRequest(site.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    const first = await workerPid(site, 'default')

    await waitFor(async () => (await workerPid(site, 'default')) === undefined, 'idle stop')
    const res = await fetch(site.url('/'))

    assert.ok(first !== undefined)
    assert.equal(res.status, 200)
    assert.notEqual(await workerPid(site, 'default'), first)
  })

  it('recycle on the periodic restart interval', async (t) => {
    const site = await twoPoolSite(t, { startMode: 'AlwaysRunning', periodicRestartMs: 300 })
    const first = await workerPid(site, 'default')

    await waitFor(async () => {
      const pid = await workerPid(site, 'default')
      return pid !== undefined && pid !== first
    }, 'periodic recycle')

    assert.equal((await fetch(site.url('/'))).status, 200)
  })

  it('report pool events to subscribers', async (t) => {
    const site = await twoPoolSite(t)
    const events: string[] = []
    const replayed: string[] = []
    site.client.subscribe((e) => (e.replayed ? replayed : events).push(`${e.event}:${e.pool}`))
    await site.client.status()

    await site.client.stopPool('a')
    await site.client.startPool('a')

    await waitFor(() => events.includes('poolStarted:a'), 'poolStarted event')
    assert.deepEqual(events.slice(0, 2), ['poolStopped:a', 'poolStarted:a'])
    assert.deepEqual(replayed.sort(), ['poolStarted:a', 'poolStarted:default'])
  })
})
