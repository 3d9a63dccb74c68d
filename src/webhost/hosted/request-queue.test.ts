import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isHostedError } from './errors.js'
import { RequestQueue } from './request-queue.js'

test('waiting requests go on in arrival order when released', async () => {
  const queue = new RequestQueue({ limit: 10 })
  const order: number[] = []
  const waits = [1, 2, 3].map((n) => queue.wait().then(() => order.push(n)))

  queue.releaseAll()
  await Promise.all(waits)

  assert.deepEqual(order, [1, 2, 3])
  assert.equal(queue.length, 0)
})

test('a request beyond the limit is refused at once as queue full', async () => {
  const queue = new RequestQueue({ limit: 2 })
  void queue.wait()
  void queue.wait()

  await assert.rejects(queue.wait(), (err) => isHostedError(err, 'ERR_HOSTED_QUEUE_FULL'))
  assert.equal(queue.length, 2)
})

test('a request whose client went away leaves the queue', async () => {
  const queue = new RequestQueue({ limit: 1 })
  const controller = new AbortController()
  const waiting = queue.wait(controller.signal)

  controller.abort()

  await assert.rejects(waiting, (err) => isHostedError(err, 'ERR_HOSTED_CLOSED'))
  assert.equal(queue.length, 0)
})

test('rejectAll fails every waiting request with the given error', async () => {
  const queue = new RequestQueue({ limit: 5 })
  const waits = [queue.wait(), queue.wait()]

  queue.rejectAll(new Error('pool stopped'))

  const results = await Promise.allSettled(waits)
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  )
})

test('a zero limit refuses every request', async () => {
  const queue = new RequestQueue({ limit: 0 })

  await assert.rejects(queue.wait(), (err) => isHostedError(err, 'ERR_HOSTED_QUEUE_FULL'))
})
