import { test } from 'node:test'
import assert from 'node:assert/strict'

import { checkStartResponse, checkStatsResponse, checkWaitResponse } from './conformance.js'

const GOOD_HANDLE = {
  version: 1,
  config: { id: 'a/t/0badc0de' },
  state: 'RUNNING',
  driver_state: Buffer.from([0x80]),
}

test('a StartTask answer a Nomad client can keep has no problems', () => {
  assert.deepEqual(checkStartResponse({ handle: GOOD_HANDLE }, 'a/t/0badc0de'), [])
})

test('a StartTask handle that Nomad could not recover from is named', () => {
  const handle = { version: 0, config: null, state: 'UNKNOWN', driver_state: Buffer.alloc(0) }

  const problems = checkStartResponse({ handle }, 'a/t/0badc0de')

  assert.equal(problems.length, 4)
  assert.match(problems[0], /version is 0/)
  assert.match(problems[1], /does not echo the task config/)
  assert.match(problems[2], /no driver_state/)
  assert.match(problems[3], /state is UNKNOWN/)
  assert.match(checkStartResponse({ handle: null }, 'x')[0], /without a handle/)
})

test('WaitTask without result and TaskStats without their required parts are named', () => {
  assert.deepEqual(checkWaitResponse({ result: { exit_code: 0 }, err: '' }), [])
  assert.match(checkWaitResponse({ result: null, err: '' })[0], /without result/)
  assert.deepEqual(checkStatsResponse({ stats: { timestamp: {}, agg_resource_usage: {} } }), [])
  assert.match(checkStatsResponse({ stats: null })[0], /without stats/)
  assert.deepEqual(
    checkStatsResponse({ stats: { timestamp: null, agg_resource_usage: null } }).length,
    2,
  )
})
