// Oversized request heads get 431 with a short body, whether the head
// arrives in one read or in many, and whichever process would parse it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { app, makeSite, pool, rawRequest, startSite, writeFiles } from './webhost-fixture.js'

/** A GET whose head is about `size` bytes, through one long header field. */
function headOfSize(path: string, size: number): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ${'a'.repeat(size)}\r\n\r\n`
}

for (const size of [17 * 1024, 40 * 1024, 64 * 1024, 100 * 1024]) {
  test(`a request head of ${size / 1024} KiB gets 431 with a body`, async (t) => {
    const fixture = await makeSite(t, (dir) => {
      writeFiles(dir, { 'index.html': 'home' })
      return { applications: [app('/', dir)], pools: [pool('default')] }
    })
    await startSite(t, fixture)

    const answer = await rawRequest(fixture.port, headOfSize('/', size))

    assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
    assert.match(answer, /\r\n\r\nRequest Header Fields Too Large\n$/)
  })
}

test('a second request on a kept-alive connection with an oversized head gets 431', async (t) => {
  const fixture = await makeSite(t, (dir) => {
    writeFiles(dir, { 'index.html': 'home' })
    return { applications: [app('/', dir)], pools: [pool('default')] }
  })
  await startSite(t, fixture)

  const answer = await rawRequest(
    fixture.port,
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' + headOfSize('/', 20 * 1024),
  )

  assert.match(answer, /^HTTP\/1\.1 200 /)
  assert.match(answer, /HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
})
