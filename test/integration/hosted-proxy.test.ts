// Streaming bodies and WebSockets through the site host's proxy to a real
// Express program (with the ws package) behind an iisnode web.config.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import WebSocket from 'ws'
import { expressApp, startSite } from '../fixtures/hosted/harness.js'

test('a response body streams to the client before the program has finished it', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])

  const req = request(`${site.url}/stream`)
  req.end()
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  const [first] = (await once(res, 'data')) as [Buffer]
  const wasComplete = res.complete
  let rest = ''
  for await (const chunk of res) rest += chunk

  assert.equal(first.toString(), 'chunk 0\n')
  assert.equal(wasComplete, false)
  assert.match(rest, /chunk 9\n$/)
})

test('a request body streams to the program before the client has finished it', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])

  const req = request(`${site.url}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
  })
  req.write('first part;')
  // The echo of the first part can only arrive if the proxy forwarded it unbuffered.
  const [res] = (await once(req, 'response')) as [IncomingMessage]
  const [first] = (await once(res, 'data')) as [Buffer]
  req.end('second part')
  let rest = ''
  for await (const chunk of res) rest += chunk

  assert.equal(first.toString(), 'first part;')
  assert.equal(rest, 'second part')
})

test('a large upload is echoed back byte for byte', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])
  const body = Buffer.alloc(8 * 1024 * 1024, 'nomad-iis ')

  const res = await fetch(`${site.url}/echo`, { method: 'POST', body })
  const echoed = Buffer.from(await res.arrayBuffer())

  assert.equal(res.status, 200)
  assert.ok(echoed.equals(body))
})

test('a WebSocket is tunnelled to the program, text and binary frames both ways', async (t) => {
  const site = await startSite(t, [{ alias: '/chat', physicalPath: await expressApp(t) }])
  const ws = new WebSocket(`${site.url.replace('http', 'ws')}/chat/ws`)
  t.after(() => ws.terminate())
  await once(ws, 'open')

  ws.send('hello')
  const [text] = (await once(ws, 'message')) as [Buffer]
  ws.send(Buffer.from([1, 2, 3]))
  const [binary] = (await once(ws, 'message')) as [Buffer]

  assert.equal(text.toString(), 'echo: hello')
  assert.deepEqual([...binary], [1, 2, 3])
})

test('a WebSocket to a path the program refuses is closed, not left hanging', async (t) => {
  const site = await startSite(t, [{ alias: '/', physicalPath: await expressApp(t) }])
  const ws = new WebSocket(`${site.url.replace('http', 'ws')}/not-a-socket`)
  t.after(() => ws.terminate())

  const [err] = (await once(ws, 'error').catch((e: unknown) => [e])) as [Error]

  assert.ok(err instanceof Error)
})
