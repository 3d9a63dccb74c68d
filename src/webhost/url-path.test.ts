import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hasHiddenSegment, normalizeUrlPath } from './url-path.js'

test('normalizeUrlPath resolves dot segments and backslashes, and refuses to climb above the root', () => {
  const cases: [string, ReturnType<typeof normalizeUrlPath>][] = [
    ['/a/b.txt', { ok: true, path: '/a/b.txt' }],
    ['/a/./b/../c.txt', { ok: true, path: '/a/c.txt' }],
    ['/a/b/', { ok: true, path: '/a/b/' }],
    ['/a//b', { ok: true, path: '/a/b' }],
    ['/a/%2e%2e/b', { ok: true, path: '/b' }],
    ['/a\\..\\b', { ok: true, path: '/b' }],
    ['/a/..', { ok: true, path: '/' }],
    ['/%252e%252e/x', { ok: true, path: '/%2e%2e/x' }],
    ['/../x', { ok: false, reason: 'above-root' }],
    ['/%2e%2e%2fx', { ok: false, reason: 'above-root' }],
    ['/..%5cx', { ok: false, reason: 'above-root' }],
    ['/a%00.txt', { ok: false, reason: 'nul' }],
    ['/%e0%a4%a', { ok: false, reason: 'bad-encoding' }],
  ]
  for (const [input, expected] of cases) assert.deepEqual(normalizeUrlPath(input), expected, input)
})

test('hasHiddenSegment hides web.config, bin and App_* segments in any case and nothing else', () => {
  for (const path of [
    '/web.config',
    '/sub/WEB.CONFIG',
    '/bin/a.dll',
    '/Bin/',
    '/App_Data/x',
    '/app_browsers/y',
  ]) {
    assert.equal(hasHiddenSegment(path), true, path)
  }
  for (const path of ['/', '/binary/x', '/robin', '/apps/x', '/web.config.txt', '/my_app_data/x']) {
    assert.equal(hasHiddenSegment(path), false, path)
  }
})
