import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'

import { allocatePorts, MAX_DYNAMIC_PORT, MIN_DYNAMIC_PORT } from './port-allocator.js'
import { RunnerError } from './errors.js'

test('dynamic ports come from 20000-32000, differ, and are free to bind', async () => {
  const taken = new Set<number>()
  const specs = ['a', 'b', 'c'].map((label) => ({ label, staticPort: null, to: 0 }))

  const ports = await allocatePorts(specs, '127.0.0.1', taken)

  assert.deepEqual(
    ports.map((p) => p.label),
    ['a', 'b', 'c'],
  )
  assert.equal(new Set(ports.map((p) => p.value)).size, 3)
  for (const port of ports) {
    assert.ok(port.value >= MIN_DYNAMIC_PORT && port.value <= MAX_DYNAMIC_PORT)
    assert.ok(taken.has(port.value))
  }
})

test('a static port is honoured with its `to`', async () => {
  const probe = createServer().listen(0, '0.0.0.0')
  await new Promise((resolve) => probe.once('listening', resolve))
  const free = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))

  const [port] = await allocatePorts(
    [{ label: 'http', staticPort: free, to: 80 }],
    '127.0.0.1',
    new Set(),
  )

  assert.deepEqual(port, { label: 'http', value: free, to: 80, hostIp: '127.0.0.1' })
})

test('a static port another program holds is an error naming the label and port', async (t) => {
  const holder = createServer().listen(0, '0.0.0.0')
  t.after(() => holder.close())
  await new Promise((resolve) => holder.once('listening', resolve))
  const busy = (holder.address() as AddressInfo).port

  await assert.rejects(
    allocatePorts([{ label: 'web', staticPort: busy, to: 0 }], '127.0.0.1', new Set()),
    (err: unknown) => {
      assert.ok(err instanceof RunnerError)
      assert.equal(err.code, 'ERR_RUNNER_PORT_UNAVAILABLE')
      assert.match(err.message, new RegExp(`port "web": static port ${busy} is in use`))
      return true
    },
  )
})
