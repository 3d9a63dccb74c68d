import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode } from '@msgpack/msgpack'
import {
  DRIVER_STATE_VERSION,
  decodeDriverState,
  encodeDriverState,
  type DriverState,
} from './driver-state.js'
import { isDriverError } from './errors.js'

const STATE: DriverState = {
  siteName: 'nomad-a-web',
  siteHostPid: 4242,
  controlSocketPath: '/var/lib/nomad-iis/run/0123.sock',
  startedAt: '2026-01-02T03:04:05.000Z',
  stateDir: '/var/lib/nomad-iis',
  taskDir: '/alloc/web',
  taskId: 'a/web/0a1b2c3d',
  allocId: 'a',
  taskName: 'web',
  taskGroupName: 'group',
  jobId: 'job',
  jobName: 'job',
  namespace: 'default',
  poolKeys: ['default', 'api'],
  poolNames: ['nomad-a-web', 'nomad-a-web-api'],
  siteUrl: 'http://127.0.0.1:8080/',
}

test('the handle state round-trips through msgpack', () => {
  const handle = encodeDriverState(STATE)

  assert.equal(handle.version, DRIVER_STATE_VERSION)
  assert.deepEqual(decodeDriverState(handle), STATE)
})

test('the driver state is a string-keyed msgpack map carrying its layout version', () => {
  const raw = decode(encodeDriverState(STATE).driverState) as Record<string, unknown>

  assert.equal(raw.v, DRIVER_STATE_VERSION)
  assert.equal(raw.siteHostPid, 4242)
  assert.equal(raw.controlSocketPath, STATE.controlSocketPath)
})

test('a state with extra fields from a later writer still decodes', () => {
  const driverState = encode({ v: DRIVER_STATE_VERSION, ...STATE, addedLater: [1, 2] })

  assert.deepEqual(decodeDriverState({ version: DRIVER_STATE_VERSION, driverState }), STATE)
})

const BROKEN: [string, number, Uint8Array][] = [
  ['an empty state', 1, new Uint8Array()],
  ['another handle version', 0, encodeDriverState(STATE).driverState],
  ['bytes that are not msgpack', 1, new Uint8Array([0xc1])],
  ['a msgpack array', 1, encode([1, 2])],
  ['a map without the pid', 1, encode({ v: 1, ...STATE, siteHostPid: undefined })],
  ['a map without the socket path', 1, encode({ v: 1, ...STATE, controlSocketPath: 7 })],
]

for (const [title, version, driverState] of BROKEN) {
  test(`recovering from ${title} fails with ERR_DRIVER_INVALID_HANDLE`, () => {
    assert.throws(
      () => decodeDriverState({ version, driverState }),
      (err: unknown) =>
        isDriverError(err, 'ERR_DRIVER_INVALID_HANDLE') && err.message.startsWith('cannot recover'),
    )
  })
}
