import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { status } from '@grpc/grpc-js'
import { DriverError } from '../driver/errors.js'
import type { DriverErrorCode } from '../driver/errors.js'
import { isRecoverableError } from '../runner/plugin-status-details.js'
import { PluginError, toServiceError } from './errors.js'

test('driver errors map to the status codes Nomad handles, never UNAVAILABLE', () => {
  const cases: [DriverErrorCode, status][] = [
    ['ERR_DRIVER_UNKNOWN_KEY', status.INVALID_ARGUMENT],
    ['ERR_DRIVER_PORT_LABEL_NOT_FOUND', status.INVALID_ARGUMENT],
    ['ERR_DRIVER_TASK_NOT_FOUND', status.NOT_FOUND],
    ['ERR_DRIVER_TASK_EXISTS', status.ALREADY_EXISTS],
    ['ERR_DRIVER_SITE_HOST_GONE', status.NOT_FOUND],
    ['ERR_DRIVER_START_FAILED', status.FAILED_PRECONDITION],
    ['ERR_DRIVER_CLOSED', status.ABORTED],
    ['ERR_DRIVER_DISABLED', status.FAILED_PRECONDITION],
  ]

  for (const [code, expected] of cases) {
    const mapped = toServiceError(new DriverError(code, 'why'))
    assert.equal(mapped.code, expected, code)
    assert.match(mapped.details ?? '', /why/)
  }
})

test('only a failed start carries the RecoverableError detail', () => {
  const failed = toServiceError(new DriverError('ERR_DRIVER_START_FAILED', 'port in use'))
  const invalid = toServiceError(new DriverError('ERR_DRIVER_UNKNOWN_KEY', 'bad key'))

  assert.equal(isRecoverableError(failed), true)
  assert.equal(isRecoverableError(invalid), false)
})

test('plugin errors and unexpected errors keep their message', () => {
  const bad = toServiceError(new PluginError('ERR_PLUGIN_BAD_MSGPACK', 'not msgpack'))
  const unknown = toServiceError(new TypeError('oops'))

  assert.equal(bad.code, status.INVALID_ARGUMENT)
  assert.equal(unknown.code, status.UNKNOWN)
  assert.equal(unknown.details, 'oops')
})
