import assert from 'node:assert/strict'
import diagnostics from 'node:diagnostics_channel'
import { once } from 'node:events'
import { createServer, request } from 'node:http'
import type { IncomingMessage, RequestListener, Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import { ProgramProxy } from './proxy.js'
import type { ProxyTarget } from './proxy.js'

interface TestContext {
  after: (fn: () => unknown) => void
}

async function listen(t: TestContext, server: Server | ReturnType<typeof createNetServer>) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => {
    if ('closeAllConnections' in server) server.closeAllConnections()
    server.close()
  })
  return (server.address() as AddressInfo).port
}

/** A proxy in front of `target`, listening on loopback. */
async function proxyTo(t: TestContext, target: ProxyTarget, proxy = new ProgramProxy()) {
  t.after(() => proxy.close())
  const front = createServer((req, res) => proxy.forward(req, res, target))
  return `http://127.0.0.1:${await listen(t, front)}`
}

async function program(t: TestContext, handler: RequestListener): Promise<ProxyTarget> {
  const port = await listen(t, createServer(handler))
  return { host: '127.0.0.1', port, pairingToken: null }
}

test('hop-by-hop headers are dropped both ways, end-to-end ones kept', async (t) => {
  let seen: IncomingMessage['headers'] = {}
  const target = await program(t, (req, res) => {
    seen = req.headers
    res.writeHead(200, { 'x-upstream-hop': '1', connection: 'x-upstream-hop', 'x-kept': 'yes' })
    res.end('ok')
  })
  const url = await proxyTo(t, target)

  // node:http, not fetch: fetch refuses to send a Connection header.
  const req = request(url, {
    headers: {
      'x-client-hop': '1',
      connection: 'x-client-hop',
      'x-end-to-end': 'yes',
      te: 'trailers',
    },
  })
  req.end()
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  res.resume()
  await once(res, 'end')

  assert.equal(seen['x-client-hop'], undefined)
  assert.equal(seen.te, undefined)
  assert.equal(seen['x-end-to-end'], 'yes')
  assert.equal(res.headers['x-upstream-hop'], undefined)
  assert.equal(res.headers['x-kept'], 'yes')
})

test('the pairing token goes to ASP.NET Core programs only', async (t) => {
  const tokens: (string | undefined)[] = []
  const target = await program(t, (req, res) => {
    tokens.push(req.headers['ms-aspnetcore-token'] as string | undefined)
    res.end()
  })
  const withToken = await proxyTo(t, { ...target, pairingToken: 'abc' })
  const without = await proxyTo(t, target)

  await (await fetch(withToken)).text()
  await (await fetch(without)).text()

  assert.deepEqual(tokens, ['abc', undefined])
})

test('a program that is not listening gives 502 with a problem body', async (t) => {
  const closed = createNetServer()
  const closedPort = await listen(t, closed)
  closed.close()
  const refused = await proxyTo(t, { host: '127.0.0.1', port: closedPort, pairingToken: null })

  const res = await fetch(refused, { headers: { accept: 'application/json' } })
  const body = await res.json()

  assert.equal(res.status, 502)
  assert.equal(res.headers.get('content-type'), 'application/problem+json')
  assert.equal(body.status, 502)
  assert.match(body.detail, /not reachable/)
})

test('a program that drops the connection gives 502', async (t) => {
  const dropper = createNetServer((socket) => socket.destroy())
  const port = await listen(t, dropper)
  const url = await proxyTo(t, { host: '127.0.0.1', port, pairingToken: null })

  const res = await fetch(url)

  assert.equal(res.status, 502)
  assert.match(await res.text(), /502 Bad Gateway/)
})

test('a program silent beyond the request timeout gives 504', async (t) => {
  const target = await program(t, () => {})
  const url = await proxyTo(t, target, new ProgramProxy({ requestTimeoutMs: 50 }))

  const res = await fetch(url)

  assert.equal(res.status, 504)
  await res.text()
})

test('requests and failures are published on diagnostics channels', async (t) => {
  const seen: string[] = []
  const onResponse = (m: unknown): void => {
    seen.push(`response ${(m as { statusCode: number }).statusCode}`)
  }
  const onError = (m: unknown): void => {
    seen.push(`error ${(m as { statusCode: number }).statusCode}`)
  }
  diagnostics.subscribe('nomad-iis:proxy:response', onResponse)
  diagnostics.subscribe('nomad-iis:proxy:error', onError)
  t.after(() => {
    diagnostics.unsubscribe('nomad-iis:proxy:response', onResponse)
    diagnostics.unsubscribe('nomad-iis:proxy:error', onError)
  })
  const target = await program(t, (_req, res) => res.writeHead(201).end())
  const closed = createNetServer()
  const closedPort = await listen(t, closed)
  closed.close()

  await (await fetch(await proxyTo(t, target))).text()
  await (await fetch(await proxyTo(t, { ...target, port: closedPort }))).text()

  assert.deepEqual(seen, ['response 201', 'error 502'])
})

test('a closed proxy answers 503 and close is idempotent', async (t) => {
  const target = await program(t, (_req, res) => res.end('ok'))
  const proxy = new ProgramProxy()
  const url = await proxyTo(t, target, proxy)

  await proxy.close()
  await proxy.close()
  const res = await fetch(url)

  assert.equal(res.status, 503)
  await res.text()
})
