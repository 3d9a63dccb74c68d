import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDuration } from './duration.js'
import { isDriverError } from './errors.js'

const VALID: [string, number][] = [
  ['00:20:00', 20 * 60_000],
  ['01:30:00', 90 * 60_000],
  ['1.02:00:00', 26 * 3_600_000],
  ['00:00:01.5', 1500],
  ['0:00:30', 30_000],
  ['1h30m', 90 * 60_000],
  ['90s', 90_000],
  ['250ms', 250],
  ['1w2d', 9 * 24 * 3_600_000],
  ['1h 5m 3s', 3_903_000],
  ['0s', 0],
  [' 30s ', 30_000],
]

const INVALID = [
  '',
  'abc',
  '30',
  '1m1h',
  '5x',
  '1h1h',
  '25:00:00',
  '00:60:00',
  '-00:10:00',
  '1.5h',
  'h',
  '10:00',
]

for (const [text, expectedMs] of VALID) {
  test(`a duration written as "${text}" is ${expectedMs} ms`, () => {
    assert.equal(parseDuration(text, '"idle_timeout" in applicationPool #1'), expectedMs)
  })
}

for (const text of INVALID) {
  test(`a duration written as "${text}" is refused with a message naming the key`, () => {
    assert.throws(
      () => parseDuration(text, '"idle_timeout" in applicationPool #1'),
      (err: unknown) =>
        isDriverError(err, 'ERR_DRIVER_INVALID_DURATION') &&
        err.message.includes('"idle_timeout" in applicationPool #1') &&
        err.message.includes('HH:mm:ss'),
    )
  })
}
