import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import * as errors from './errors.js'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const CODE = /ERR_MANAGEMENT_[A-Z_]+/g

test('every error code is documented and the docs name no other', async () => {
  const source = await readFile(`${ROOT}src/management/errors.ts`, 'utf8')
  const docs = await readFile(`${ROOT}docs/management-api.md`, 'utf8')

  const inCatalogue = new Set(source.match(CODE))
  const inDocs = new Set(docs.match(CODE))

  assert.deepEqual([...inDocs].sort(), [...inCatalogue].sort())
})

test('every error class has a lowercase message without a trailing period and a 4xx or 5xx status', () => {
  const samples = [
    new errors.UnauthorizedError('credentials missing', 'Bearer'),
    new errors.ForbiddenError('the token lacks x'),
    new errors.TaskNotFoundError('a', 't'),
    new errors.FileNotFoundError('local/x'),
    new errors.PoolNotFoundError('p', ['default']),
    new errors.BadPathError('absolute paths are refused'),
    new errors.BadRequestError('query clean must be true or false'),
    new errors.ConflictError('a pool is stopped'),
    new errors.PreconditionFailedError('x changed'),
    new errors.PayloadTooLargeError(10),
    new errors.RangeNotSatisfiableError(10),
    new errors.BadZipError('the zip is corrupt'),
    new errors.NoWorkerError('default'),
    new errors.EulaNotAcceptedError(),
    new errors.DependencyMissingError('chromium is missing'),
    new errors.BusyError('too many'),
    new errors.InsufficientStorageError(2, 1),
    new errors.DriverFailedError('stop the pools', new Error('gone')),
    new errors.SiteUnreachableError('http://127.0.0.1:1/', new Error('refused')),
    new errors.TimeoutError('the screenshot', 10),
  ]

  for (const err of samples) {
    assert.match(err.message, /^[a-z'"]/, err.message)
    assert.doesNotMatch(err.message, /\.$/, err.message)
    assert.ok(err.statusCode >= 400 && err.statusCode < 600, err.code)
  }
})
