import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PeriodicRestartTimer } from './periodic-restart-timer.js'

test('a restart is asked for the interval after the worker started', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let restarts = 0
  const timer = new PeriodicRestartTimer({ intervalMs: 500, onRestart: () => restarts++ })

  timer.start()
  t.mock.timers.tick(499)
  const before = restarts
  t.mock.timers.tick(1)

  assert.equal(before, 0)
  assert.equal(restarts, 1)
  assert.equal(timer.isRunning, false)
})

test('starting again counts from the new start', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let restarts = 0
  const timer = new PeriodicRestartTimer({ intervalMs: 500, onRestart: () => restarts++ })

  timer.start()
  t.mock.timers.tick(400)
  timer.start()
  t.mock.timers.tick(400)

  assert.equal(restarts, 0)
})

test('a zero interval or a stop means no restart', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let restarts = 0
  const off = new PeriodicRestartTimer({ intervalMs: 0, onRestart: () => restarts++ })
  const stopped = new PeriodicRestartTimer({ intervalMs: 10, onRestart: () => restarts++ })

  off.start()
  stopped.start()
  stopped.stop()
  t.mock.timers.tick(10_000)

  assert.equal(restarts, 0)
})
