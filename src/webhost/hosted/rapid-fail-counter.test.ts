import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isHostedError } from './errors.js'
import { RapidFailCounter } from './rapid-fail-counter.js'

test('the fifth crash within the interval trips protection', () => {
  let now = 0
  const counter = new RapidFailCounter({ maxCrashes: 5, intervalMs: 300_000, now: () => now })

  const tripped = [1, 2, 3, 4, 5].map(() => {
    now += 1000
    return counter.recordCrash()
  })

  assert.deepEqual(tripped, [false, false, false, false, true])
})

test('crashes older than the interval no longer count', () => {
  let now = 0
  const counter = new RapidFailCounter({ maxCrashes: 3, intervalMs: 10_000, now: () => now })
  counter.recordCrash()
  counter.recordCrash()

  now = 10_000
  const tripped = counter.recordCrash()

  assert.equal(tripped, false)
  assert.equal(counter.crashCount, 1)
})

test('reset forgets every crash', () => {
  const counter = new RapidFailCounter({ maxCrashes: 2, intervalMs: 10_000 })
  counter.recordCrash()

  counter.reset()

  assert.equal(counter.recordCrash(), false)
})

test('bad options are refused before anything is counted', () => {
  for (const options of [
    { maxCrashes: 0, intervalMs: 1 },
    { maxCrashes: 1.5, intervalMs: 1 },
    { maxCrashes: 1, intervalMs: 0 },
  ]) {
    assert.throws(
      () => new RapidFailCounter(options),
      (err) => isHostedError(err, 'ERR_HOSTED_INVALID_ARGUMENT'),
    )
  }
})
