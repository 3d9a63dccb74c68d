import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseSimpleRequest } from './fast-path.js'

test('parseSimpleRequest takes plain GET and HEAD requests with their Host and Connection', () => {
  assert.deepEqual(
    parseSimpleRequest('GET /a?b HTTP/1.1\r\nHost: Example.test:80\r\nAccept: */*'),
    {
      target: '/a?b',
      isHead: false,
      host: 'example.test',
      wantsClose: false,
    },
  )
  assert.deepEqual(parseSimpleRequest('HEAD / HTTP/1.1\r\nhost: a\r\nConnection: Close'), {
    target: '/',
    isHead: true,
    host: 'a',
    wantsClose: true,
  })
})

test('parseSimpleRequest hands on everything it does not fully understand', () => {
  const handedOn = [
    'POST / HTTP/1.1\r\nHost: a',
    'GET / HTTP/1.0\r\nHost: a',
    'GET http://a/ HTTP/1.1\r\nHost: a',
    'GET / HTTP/1.1',
    'GET / HTTP/1.1\r\nHost: a\r\nHost: b',
    'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5',
    'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked',
    'GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1',
    'GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: "x"',
    'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket',
    'GET / HTTP/1.1\r\nHost: a\r\n folded: value',
    'GET / HTTP/1.1\r\nHost: a\r\nBad Name: x',
    'GET / HTTP/1.1\r\nHost: a\r\nno-colon',
  ]
  for (const head of handedOn) assert.equal(parseSimpleRequest(head), null, JSON.stringify(head))
})
