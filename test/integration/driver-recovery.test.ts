import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { readRegistry } from '../../src/webhost/index.js'
import { createFixture, createTask, freePort } from './driver-helpers.js'
import type { TaskHandleState } from '../../src/driver/index.js'

const CHILD = fileURLToPath(new URL('./driver-child.js', import.meta.url))

test('a driver in a new process recovers a site host whose starting process was killed with SIGKILL', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, {
    application: [{ path: 'local' }],
    binding: [{ type: 'http', port: 'http' }],
  })
  const child = spawn(process.execPath, [CHILD, JSON.stringify({ stateDir: fx.stateDir, task })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(() => child.kill('SIGKILL'))
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string]
  const parsed = JSON.parse(line) as { version: number; driverState: string }
  const handleState: TaskHandleState = {
    version: parsed.version,
    driverState: new Uint8Array(Buffer.from(parsed.driverState, 'base64')),
  }
  const [entry] = await readRegistry(fx.stateDir)
  fx.pids.add(entry!.pid)

  child.kill('SIGKILL')
  await once(child, 'exit')
  const servedAfterPluginDeath = await fetch(`http://127.0.0.1:${port}/`)
  await fx.driver.recoverTask({ ...task, driverConfig: {} }, handleState)
  const stats = await fx.driver.taskStats(task.id)
  const waiting = fx.driver.waitTask(task.id)
  process.kill(entry!.pid, 'SIGKILL')
  const result = await waiting

  assert.equal(servedAfterPluginDeath.status, 200)
  assert.ok(stats.processes.some((usage) => usage.pid === entry!.pid))
  assert.notEqual(result.exitCode, 0)
  assert.match(result.error, /killed or crashed/)
  assert.equal(fx.driver.inspectTask(task.id).state, 'exited')
})
