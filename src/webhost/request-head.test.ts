import assert from 'node:assert/strict'
import { test } from 'node:test'
import { findHeadEnd, isHostAccepted, parseRequestHead, stripPort } from './request-head.js'

test('parseRequestHead finds the path and the portless, lowercased Host', () => {
  const raw = Buffer.from(
    'GET /a/b?c=1 HTTP/1.1\r\nUser-Agent: x\r\nhOsT: WWW.Example.test:8080\r\n\r\nbody',
  )
  const end = findHeadEnd(raw)

  assert.equal(end, raw.length - 4)
  assert.deepEqual(parseRequestHead(raw, end), { rawPath: '/a/b', host: 'www.example.test' })
})

test('parseRequestHead reads absolute-form targets and refuses what is not HTTP/1.x', () => {
  const absolute = Buffer.from('GET http://h.test/x/y?z HTTP/1.1\r\n\r\n')
  const other = Buffer.from('PRI * HTTP/2.0\r\n\r\n')

  assert.deepEqual(parseRequestHead(absolute, absolute.length), { rawPath: '/x/y', host: null })
  assert.equal(parseRequestHead(other, other.length), null)
  assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')), -1)
})

test('isHostAccepted matches a binding hostname exactly or accepts any with a null entry', () => {
  assert.equal(stripPort('[::1]:80'), '[::1]')
  assert.equal(isHostAccepted('a.test', ['a.test']), true)
  assert.equal(isHostAccepted('b.test', ['a.test']), false)
  assert.equal(isHostAccepted(null, ['a.test']), false)
  assert.equal(isHostAccepted(null, ['a.test', null]), true)
})
