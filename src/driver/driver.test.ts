import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseDriverConfig } from './config.js'
import { Driver } from './driver.js'
import { isDriverError } from './errors.js'

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driver-unit-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('a driver with a writable state dir is healthy', async (t) => {
  const dir = await tempDir(t)
  const driver = new Driver({ config: parseDriverConfig({ state_dir: join(dir, 'state') }) })

  assert.equal(await driver.checkHealth(), null)
})

test('a disabled driver reports why it is unhealthy and refuses tasks', async (t) => {
  const dir = await tempDir(t)
  const driver = new Driver({ config: parseDriverConfig({ state_dir: dir, enabled: false }) })

  assert.match((await driver.checkHealth()) ?? '', /enabled = false/)
  await assert.rejects(
    driver.startTask({ id: 'a/web/1' } as Parameters<Driver['startTask']>[0]),
    (err: unknown) => isDriverError(err, 'ERR_DRIVER_DISABLED'),
  )
})

test('a state dir that cannot be created makes the driver unhealthy', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'file'), '')
  const driver = new Driver({
    config: parseDriverConfig({ state_dir: join(dir, 'file', 'state') }),
  })

  assert.match((await driver.checkHealth()) ?? '', /state dir .* is not writable/)
})

test('calls for an unknown task fail with ERR_DRIVER_TASK_NOT_FOUND', async () => {
  const driver = new Driver()
  const isNotFound = (err: unknown): boolean => isDriverError(err, 'ERR_DRIVER_TASK_NOT_FOUND')

  await assert.rejects(driver.waitTask('nope'), isNotFound)
  await assert.rejects(driver.stopTask('nope', 1000, 'SIGINT'), isNotFound)
  await assert.rejects(driver.destroyTask('nope', true), isNotFound)
  await assert.rejects(driver.taskStats('nope'), isNotFound)
  await assert.rejects(driver.signalTask('nope', 'RECYCLE'), isNotFound)
  await assert.rejects(driver.poolStatus('nope'), isNotFound)
  assert.throws(() => driver.inspectTask('nope'), isNotFound)
  assert.equal(driver.findTask('a', 'web'), undefined)
})

test('a closed driver refuses new tasks and closing twice is harmless', async () => {
  const driver = new Driver()
  await driver.close()
  await driver.close()

  await assert.rejects(
    driver.startTask({ id: 'a/web/1' } as Parameters<Driver['startTask']>[0]),
    (err: unknown) => isDriverError(err, 'ERR_DRIVER_CLOSED'),
  )
})
