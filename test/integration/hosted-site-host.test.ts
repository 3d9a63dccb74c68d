// Hosted programs through the real site host process: routing next to
// static applications, kept-alive connections crossing between them, status,
// a bad web.config, and rapid-fail protection ending the site host.
import assert from 'node:assert/strict'
import { copyFileSync } from 'node:fs'
import { once } from 'node:events'
import { Agent, request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import WebSocket from 'ws'
import {
  FIXTURES_DIR,
  NODE_PATH,
  iisnodeWebConfig,
  httpPlatformWebConfig,
} from '../fixtures/hosted/harness.js'
import { isProcessAlive, readExitRecord } from '../../src/webhost/index.js'
import { app, makeSite, pool, startSite, waitFor, writeFiles } from './webhost-fixture.js'

/** Static files in `static/`, the Express fixture behind iisnode in `api/`. */
function writeApps(dir: string): { staticDir: string; apiDir: string } {
  const staticDir = join(dir, 'static')
  const apiDir = join(dir, 'api')
  writeFiles(staticDir, { 'index.html': '<h1>static home</h1>' })
  writeFiles(apiDir, { 'web.config': iisnodeWebConfig('server.js') })
  copyFileSync(join(FIXTURES_DIR, 'express-app', 'server.js'), join(apiDir, 'server.js'))
  return { staticDir, apiDir }
}

/** GETs over one kept-alive connection, in order. */
async function getInOrder(urls: string[]): Promise<{ status: number; body: string }[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const answers = []
  const sockets = new Set<unknown>()
  for (const url of urls) {
    const req = request(url, { agent })
    req.end()
    const [res] = (await once(req, 'response')) as [IncomingMessage]
    sockets.add(res.socket)
    let body = ''
    for await (const chunk of res) body += chunk
    answers.push({ status: res.statusCode ?? 0, body })
  }
  agent.destroy()
  assert.equal(sockets.size, 1, 'all requests went over one connection')
  return answers
}

test('a hosted program and a static application of another pool are served side by side', async (t) => {
  const fixture = await makeSite(t, (dir) => {
    const { staticDir, apiDir } = writeApps(dir)
    return {
      applications: [app('/', staticDir, 'web'), app('/api', apiDir, 'api')],
      pools: [pool('web'), pool('api', { env: { NODE_PATH } })],
    }
  })
  const site = await startSite(t, fixture)

  const answers = await getInOrder([fixture.url('/'), fixture.url('/api/items'), fixture.url('/')])
  const status = await site.client.status()
  const apiPool = status.pools.find((p) => p.key === 'api')

  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 200],
  )
  assert.match(answers[0].body, /static home/)
  assert.equal(JSON.parse(answers[1].body).url, '/api/items')
  assert.match(answers[2].body, /static home/)
  assert.equal(apiPool?.workers.length, 1)
  assert.equal(apiPool?.workers[0].kind, 'program')
  assert.equal(apiPool?.workers[0].application, '/api')
})

test('one pool holding a static application and a hosted one serves both over one connection', async (t) => {
  const fixture = await makeSite(t, (dir) => {
    const { staticDir, apiDir } = writeApps(dir)
    return {
      applications: [app('/', staticDir), app('/api', apiDir)],
      pools: [pool('default', { env: { NODE_PATH } })],
    }
  })
  const site = await startSite(t, fixture)

  const answers = await getInOrder([fixture.url('/'), fixture.url('/api/x'), fixture.url('/api/y')])
  const workers = (await site.client.status()).pools[0].workers

  assert.match(answers[0].body, /static home/)
  assert.equal(JSON.parse(answers[1].body).url, '/api/x')
  assert.equal(JSON.parse(answers[2].body).url, '/api/y')
  assert.deepEqual(workers.map((w) => w.kind).sort(), ['program', 'static'])
})

test('a WebSocket reaches the program through the site host', async (t) => {
  const fixture = await makeSite(t, (dir) => {
    const { apiDir } = writeApps(dir)
    return { applications: [app('/', apiDir)], pools: [pool('default', { env: { NODE_PATH } })] }
  })
  await startSite(t, fixture)
  const ws = new WebSocket(fixture.url('/ws').replace('http', 'ws'))
  t.after(() => ws.terminate())
  await once(ws, 'open')

  ws.send('through the site host')
  const [message] = (await once(ws, 'message')) as [Buffer]

  assert.equal(message.toString(), 'echo: through the site host')
})

test('a bad web.config keeps its pool stopped with the reason, and other pools serve', async (t) => {
  const fixture = await makeSite(t, (dir) => {
    const { staticDir } = writeApps(dir)
    writeFiles(join(dir, 'bad'), { 'web.config': '<configuration><system.webServer>' })
    return {
      applications: [app('/', staticDir, 'web'), app('/bad', join(dir, 'bad'), 'bad')],
      pools: [pool('web'), pool('bad')],
    }
  })
  const site = await startSite(t, fixture)

  const good = await fetch(fixture.url('/'))
  const bad = await fetch(fixture.url('/bad/'))
  const badPool = (await site.client.status()).pools.find((p) => p.key === 'bad')

  assert.equal(good.status, 200)
  assert.equal(bad.status, 503)
  assert.equal(badPool?.state, 'Stopped')
  assert.match(badPool?.lastError ?? '', /application \/bad: web.config is not well-formed xml/)
  await assert.rejects(site.client.startPool('bad'), /not well-formed/)
})

test('rapid-fail protection ends the site host with a failure; a pool stopped on purpose does not', async (t) => {
  const fixture = await makeSite(t, (dir) => {
    const { staticDir } = writeApps(dir)
    writeFiles(join(dir, 'crash'), {
      'web.config': httpPlatformWebConfig(process.execPath, 'exit-at-once.js'),
    })
    copyFileSync(join(FIXTURES_DIR, 'exit-at-once.js'), join(dir, 'crash', 'exit-at-once.js'))
    return {
      applications: [app('/', staticDir, 'web'), app('/crash', join(dir, 'crash'), 'crash')],
      pools: [
        pool('web'),
        pool('crash', {
          rapidFailProtection: { isEnabled: true, maxCrashes: 2, intervalMs: 60_000 },
        }),
      ],
    }
  })
  const site = await startSite(t, fixture)

  await site.client.stopPool('web')
  const isAliveAfterStop = isProcessAlive(site.host.pid)
  await fetch(fixture.url('/crash/')).catch(() => null)
  await fetch(fixture.url('/crash/')).catch(() => null)
  await waitFor(() => !isProcessAlive(site.host.pid), 'site host exit')
  const record = await readExitRecord(fixture.stateDir, fixture.def.name)

  assert.equal(isAliveAfterStop, true)
  assert.equal(record?.exitCode, 1)
  assert.match(record?.error ?? '', /rapid-fail protection: 2 failures/)
})

test("IIS's request filtering still hides web.config and bin of a hosted application", async (t) => {
  const fixture = await makeSite(t, (dir) => {
    const { apiDir } = writeApps(dir)
    return { applications: [app('/api', apiDir)], pools: [pool('default', { env: { NODE_PATH } })] }
  })
  await startSite(t, fixture)

  const config = await fetch(fixture.url('/api/web.config'))
  const bin = await fetch(fixture.url('/api/bin/app.dll'))
  const served = await fetch(fixture.url('/api/visible'))
  const body = await served.json()

  assert.equal(config.status, 404)
  assert.equal(bin.status, 404)
  assert.equal(served.status, 200)
  assert.equal(body.forwardedFor, '127.0.0.1')
})
