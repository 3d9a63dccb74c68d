import assert from 'node:assert/strict'
import { test } from 'node:test'
import { evaluatePreconditions, evaluateRange } from './conditional.js'
import type { Validators } from './conditional.js'

const mtimeSeconds = Math.floor(Date.parse('Wed, 21 Oct 2026 07:28:00 GMT') / 1000)
const V: Validators = { etag: '"a-1"', lastModified: 'Wed, 21 Oct 2026 07:28:00 GMT', mtimeSeconds }

test('evaluatePreconditions follows the order of RFC 9110 section 13.2.2', () => {
  const cases: [Record<string, string>, string][] = [
    [{}, 'proceed'],
    [{ 'if-none-match': '"a-1"' }, 'not-modified'],
    [{ 'if-none-match': 'W/"a-1"' }, 'not-modified'],
    [{ 'if-none-match': '"x", "a-1"' }, 'not-modified'],
    [{ 'if-none-match': '*' }, 'not-modified'],
    [{ 'if-none-match': '"x"' }, 'proceed'],
    [{ 'if-none-match': '"x"', 'if-modified-since': V.lastModified }, 'proceed'],
    [{ 'if-modified-since': V.lastModified }, 'not-modified'],
    [{ 'if-modified-since': 'Tue, 20 Oct 2026 07:28:00 GMT' }, 'proceed'],
    [{ 'if-modified-since': 'not a date' }, 'proceed'],
    [{ 'if-match': '"x"' }, 'failed'],
    [{ 'if-match': 'W/"a-1"' }, 'failed'],
    [{ 'if-match': '"a-1"' }, 'proceed'],
    [{ 'if-unmodified-since': 'Tue, 20 Oct 2026 07:28:00 GMT' }, 'failed'],
  ]
  for (const [headers, expected] of cases) {
    assert.equal(evaluatePreconditions(headers, V, true), expected, JSON.stringify(headers))
  }
})

test('evaluateRange serves single ranges, suffixes and 416, and falls back to the whole file', () => {
  const cases: [Record<string, string>, ReturnType<typeof evaluateRange>][] = [
    [{}, { kind: 'full' }],
    [{ range: 'bytes=0-4' }, { kind: 'partial', start: 0, end: 4 }],
    [{ range: 'bytes=5-' }, { kind: 'partial', start: 5, end: 9 }],
    [{ range: 'bytes=-3' }, { kind: 'partial', start: 7, end: 9 }],
    [{ range: 'bytes=-30' }, { kind: 'partial', start: 0, end: 9 }],
    [{ range: 'bytes=8-100' }, { kind: 'partial', start: 8, end: 9 }],
    [{ range: 'bytes=10-' }, { kind: 'unsatisfiable' }],
    [{ range: 'bytes=-0' }, { kind: 'unsatisfiable' }],
    [{ range: 'bytes=5-2' }, { kind: 'full' }],
    [{ range: 'bytes=0-1,3-4' }, { kind: 'full' }],
    [{ range: 'items=0-1' }, { kind: 'full' }],
    [
      { range: 'bytes=0-1', 'if-range': '"a-1"' },
      { kind: 'partial', start: 0, end: 1 },
    ],
    [{ range: 'bytes=0-1', 'if-range': '"old"' }, { kind: 'full' }],
    [
      { range: 'bytes=0-1', 'if-range': V.lastModified },
      { kind: 'partial', start: 0, end: 1 },
    ],
    [{ range: 'bytes=0-1', 'if-range': 'Tue, 20 Oct 2026 07:28:00 GMT' }, { kind: 'full' }],
  ]
  for (const [headers, expected] of cases) {
    assert.deepEqual(evaluateRange(headers, V, 10, true), expected, JSON.stringify(headers))
  }
  assert.deepEqual(evaluateRange({ range: 'bytes=0-1' }, V, 10, false), { kind: 'full' })
})
