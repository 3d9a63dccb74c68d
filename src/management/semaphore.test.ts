import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Semaphore } from './semaphore.js'

test('a waiter past the capacity gives up with null when no slot frees up in time', async () => {
  const slots = new Semaphore(1)
  const first = await slots.acquire(1000)

  const second = await slots.acquire(5)

  assert.notEqual(first, null)
  assert.equal(second, null)
})

test('a released slot goes to the waiter that came first', async () => {
  const slots = new Semaphore(1)
  const release = await slots.acquire(1000)
  const order: string[] = []
  const a = slots.acquire(10_000).then((r) => (order.push('a'), r))
  const b = slots.acquire(10_000).then((r) => (order.push('b'), r))

  release!()
  ;(await a)!()
  ;(await b)!()

  assert.deepEqual(order, ['a', 'b'])
})

test('releasing twice frees one slot only', async () => {
  const slots = new Semaphore(1)
  const release = await slots.acquire(1000)
  release!()
  release!()

  const one = await slots.acquire(1000)
  const two = await slots.acquire(5)

  assert.notEqual(one, null)
  assert.equal(two, null)
})

test('a capacity below one is refused', () => {
  assert.throws(() => new Semaphore(0), TypeError)
})
