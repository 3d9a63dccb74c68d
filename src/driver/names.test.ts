import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildPoolName, buildSiteName, sanitiseName } from './names.js'
import { isDriverError } from './errors.js'

const ALLOC_ID = '5b8a2f3c-1d4e-4f60-9a7b-0c1d2e3f4a5b'

test('the site name is nomad-<allocId>-<task>', () => {
  assert.equal(buildSiteName(ALLOC_ID, 'web'), `nomad-${ALLOC_ID}-web`)
})

test('the default pool shares the site name and other pools add their name', () => {
  const site = buildSiteName(ALLOC_ID, 'web')

  assert.equal(buildPoolName(site, 'default'), site)
  assert.equal(buildPoolName(site, 'poolA'), `${site}-poolA`)
})

const SANITISED: [string, string][] = [
  ['nomad-a-web', 'nomad-a-web'],
  ['nomad-a-my task', 'nomad-a-my_task'],
  ['nomad-a-a/b\\c:d', 'nomad-a-a_b_c_d'],
  ['nomad-a-x?y*z"<>|', 'nomad-a-x_y_z____'],
  ['nomad-a-ünï', 'nomad-a-_n_'],
]

for (const [raw, expected] of SANITISED) {
  test(`characters a name cannot hold become underscores in "${raw}"`, () => {
    assert.equal(sanitiseName(raw), expected)
  })
}

test('a site name over 64 characters says by how many characters it is too long', () => {
  const taskName = 'a-task-name-that-is-far-too-long'
  const expectedExcess = `nomad-${ALLOC_ID}-${taskName}`.length - 64

  assert.throws(
    () => buildSiteName(ALLOC_ID, taskName),
    (err: unknown) =>
      isDriverError(err, 'ERR_DRIVER_NAME_TOO_LONG') &&
      err.message.includes(`${expectedExcess} characters too long`),
  )
})

test('a pool name over 64 characters is refused while the site name alone fits', () => {
  const site = buildSiteName(ALLOC_ID, 'a-task-name-of-21-chr')

  assert.equal(site.length, 64)
  assert.throws(
    () => buildPoolName(site, 'poolA'),
    (err: unknown) => isDriverError(err, 'ERR_DRIVER_NAME_TOO_LONG'),
  )
})
