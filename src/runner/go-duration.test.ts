import { test } from 'node:test'
import assert from 'node:assert/strict'

import { parseGoDurationMs } from './go-duration.js'

test('Go durations parse into milliseconds', () => {
  assert.equal(parseGoDurationMs('10s'), 10_000)
  assert.equal(parseGoDurationMs('1m30s'), 90_000)
  assert.equal(parseGoDurationMs('1.5h'), 5_400_000)
  assert.equal(parseGoDurationMs('250ms'), 250)
  assert.equal(parseGoDurationMs('0'), 0)
})

test('text that is not a Go duration gives null', () => {
  for (const text of ['', '10', 's', '10 s', '1x', '00:00:10'])
    assert.equal(parseGoDurationMs(text), null)
})
