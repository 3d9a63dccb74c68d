// What the program behind the site host sees when a kept-alive connection
// crosses between a static worker and a hosted program, and what the hosted
// proxy answers to requests Node's parser refuses.
import assert from 'node:assert/strict'
import { copyFileSync } from 'node:fs'
import { once } from 'node:events'
import { Agent, request } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { test } from 'node:test'
import { FIXTURES_DIR, NODE_PATH, iisnodeWebConfig } from '../fixtures/hosted/harness.js'
import { app, makeSite, pool, rawRequest, startSite, writeFiles } from './webhost-fixture.js'
import type { Cleanup, Fixture } from './webhost-fixture.js'

interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** Static files at `/` (pool web), the Express fixture behind iisnode at `/api` (pool api). */
async function startMixedSite(t: Cleanup): Promise<Fixture> {
  const fixture = await makeSite(t, (dir) => {
    const staticDir = join(dir, 'static')
    const apiDir = join(dir, 'api')
    writeFiles(staticDir, { 'index.html': '<h1>static home</h1>' })
    writeFiles(apiDir, { 'web.config': iisnodeWebConfig('server.js') })
    copyFileSync(join(FIXTURES_DIR, 'express-app', 'server.js'), join(apiDir, 'server.js'))
    return {
      applications: [app('/', staticDir, 'web'), app('/api', apiDir, 'api')],
      pools: [pool('web'), pool('api', { env: { NODE_PATH } })],
    }
  })
  await startSite(t, fixture)
  return fixture
}

/** Sends the requests in order over one kept-alive connection. */
async function sendInOrder(
  fixture: Fixture,
  requests: { path: string; headers?: Record<string, string> }[],
): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const sockets = new Set<unknown>()
  const answers: Answer[] = []
  try {
    for (const { path, headers } of requests) {
      const req = request(fixture.url(path), { agent, headers })
      req.end()
      const [res] = (await once(req, 'response')) as [IncomingMessage]
      sockets.add(res.socket)
      let body = ''
      for await (const chunk of res) body += chunk
      answers.push({ status: res.statusCode ?? 0, headers: res.headers, body })
    }
  } finally {
    agent.destroy()
  }
  assert.equal(sockets.size, 1, 'all requests went over one connection')
  return answers
}

test('a hosted request after a static one on a kept-alive connection carries the client address', async (t) => {
  const fixture = await startMixedSite(t)

  const [, viaWorker] = await sendInOrder(fixture, [{ path: '/' }, { path: '/api/who' }])
  const [fresh] = await sendInOrder(fixture, [{ path: '/api/who' }])
  const seen = JSON.parse(viaWorker.body)

  assert.equal(seen.forwardedFor, '127.0.0.1')
  assert.equal(seen.forwardedProto, 'http')
  assert.equal(seen.forwardedHost, `127.0.0.1:${fixture.port}`)
  const freshSeen = JSON.parse(fresh.body)
  assert.deepEqual(
    [seen.forwardedFor, seen.forwardedProto, seen.forwardedHost],
    [freshSeen.forwardedFor, freshSeen.forwardedProto, freshSeen.forwardedHost],
  )
})

test("a client's X-Forwarded-For gets the real client address appended after a static request", async (t) => {
  const fixture = await startMixedSite(t)
  const headers = { 'x-forwarded-for': '203.0.113.7' }

  const [, viaWorker] = await sendInOrder(fixture, [
    { path: '/', headers },
    { path: '/api/who', headers },
  ])

  assert.equal(JSON.parse(viaWorker.body).forwardedFor, '203.0.113.7, 127.0.0.1')
})

test('a client cannot forge the address the internal hop carries', async (t) => {
  const fixture = await startMixedSite(t)
  const headers = { 'x-nomad-iis-client-address': '198.51.100.1' }

  const [, viaWorker, direct] = await sendInOrder(fixture, [
    { path: '/', headers },
    { path: '/api/who', headers },
    { path: '/api/who', headers },
  ])

  assert.equal(JSON.parse(viaWorker.body).forwardedFor, '127.0.0.1')
  assert.equal(JSON.parse(direct.body).forwardedFor, '127.0.0.1')
})

test('a static request after a hosted one keeps the connection alive', async (t) => {
  const fixture = await startMixedSite(t)
  const get = (path: string, extra = ''): string =>
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`

  // Raw, without a Connection field: HTTP/1.1 keeps the connection alive by default.
  const text = await rawRequest(
    fixture.port,
    get('/api/x') + get('/') + get('/', 'Connection: close\r\n'),
  )
  const answers = text.split(/(?=HTTP\/1\.1 )/)

  assert.equal(answers.length, 3)
  assert.match(answers[0], /^HTTP\/1\.1 200 /)
  assert.match(answers[1], /^HTTP\/1\.1 200 [^]*static home/)
  assert.doesNotMatch(answers[1], /\r\nconnection: close\r\n/i)
  assert.match(answers[2], /^HTTP\/1\.1 200 [^]*static home/)
})

test('a hosted request with both Content-Length and Transfer-Encoding gets 400', async (t) => {
  const fixture = await startMixedSite(t)

  const answer = await rawRequest(
    fixture.port,
    'POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n' +
      'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  )

  assert.match(answer, /^HTTP\/1\.1 400 /)
})

test('a hosted request with two different Content-Length values gets 400', async (t) => {
  const fixture = await startMixedSite(t)

  const answer = await rawRequest(
    fixture.port,
    'POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n' +
      'Content-Length: 6\r\n\r\nhello!',
  )

  assert.match(answer, /^HTTP\/1\.1 400 /)
})
