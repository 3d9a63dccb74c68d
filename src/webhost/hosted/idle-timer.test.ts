import assert from 'node:assert/strict'
import { test } from 'node:test'
import { IdleTimer } from './idle-timer.js'

test('an armed worker without requests goes idle after the timeout', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let idleCount = 0
  const timer = new IdleTimer({ timeoutMs: 1000, onIdle: () => idleCount++ })

  timer.arm()
  t.mock.timers.tick(999)
  const before = idleCount
  t.mock.timers.tick(1)

  assert.equal(before, 0)
  assert.equal(idleCount, 1)
})

test('a request in flight holds the countdown until it ends', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let idleCount = 0
  const timer = new IdleTimer({ timeoutMs: 1000, onIdle: () => idleCount++ })
  timer.arm()

  timer.begin()
  t.mock.timers.tick(5000)
  const whileBusy = idleCount
  timer.end()
  t.mock.timers.tick(1000)

  assert.equal(whileBusy, 0)
  assert.equal(idleCount, 1)
})

test('a disarmed timer and a zero timeout never fire', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let idleCount = 0
  const off = new IdleTimer({ timeoutMs: 0, onIdle: () => idleCount++ })
  const disarmed = new IdleTimer({ timeoutMs: 10, onIdle: () => idleCount++ })

  off.arm()
  disarmed.arm()
  disarmed.disarm()
  t.mock.timers.tick(60_000)

  assert.equal(idleCount, 0)
})

test('onIdle fires once and needs a new arm to fire again', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  let idleCount = 0
  const timer = new IdleTimer({ timeoutMs: 100, onIdle: () => idleCount++ })

  timer.arm()
  t.mock.timers.tick(100)
  timer.begin()
  timer.end()
  t.mock.timers.tick(1000)

  assert.equal(idleCount, 1)
})
