/**
 * An application whose job names its program (the `program` block, ours):
 * the site host runs it on a loopback port given in the named variable and
 * proxies the application to it; when the site host is killed, the program
 * goes too.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readRegistry } from '../../src/webhost/index.js'
import { createFixture, createTask, freePort, waitFor } from './driver-helpers.js'
import type { TestContext } from 'node:test'

const SERVER = `import { createServer } from 'node:http'
createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ path: req.url, port: process.env.APP_PORT, args: process.argv.slice(2) }))
}).listen(Number(process.env.APP_PORT), '127.0.0.1')
`

async function startProgramTask(t: TestContext) {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, {
    application: [
      {
        path: 'local',
        alias: 'api',
        program: [
          {
            command: process.execPath,
            args: ['server.mjs', '--port=%APP_PORT%'],
            port_env: 'APP_PORT',
          },
        ],
      },
    ],
    binding: [{ type: 'http', port: 'http' }],
  })
  await writeFile(join(task.allocDir, 'web', 'local', 'server.mjs'), SERVER)
  await fx.driver.startTask(task)
  t.after(() => fx.driver.destroyTask(task.id, true).catch(() => {}))
  return { fx, task, base: `http://127.0.0.1:${port}` }
}

test('a program named in the job serves its application behind the site host', async (t) => {
  const { fx, task, base } = await startProgramTask(t)

  const answer = (await (await fetch(`${base}/api/items?x=1`)).json()) as Record<string, unknown>
  const pools = await fx.driver.poolStatus(task.id)

  assert.equal(answer.path, '/api/items?x=1')
  assert.deepEqual(answer.args, [`--port=${String(answer.port)}`])
  const programs = pools.flatMap((pool) => pool.workers).filter((w) => w.kind === 'program')
  assert.equal(programs.length, 1)
  assert.equal(programs[0].application, '/api')
})

test('a program does not outlive its site host when the site host is killed', async (t) => {
  const { fx, task, base } = await startProgramTask(t)
  await fetch(`${base}/api/`)
  const pools = await fx.driver.poolStatus(task.id)
  const program = pools.flatMap((pool) => pool.workers).find((w) => w.kind === 'program')
  assert.ok(program, 'the program runs after its first request')
  const [siteHost] = await readRegistry(fx.stateDir)
  fx.pids.add(program.pid)

  process.kill(siteHost.pid, 'SIGKILL')
  const result = await fx.driver.waitTask(task.id)
  await waitFor(async () => !(await isRunning(program.pid)), 5_000)

  assert.notEqual(result.error, '')
  assert.equal(await isRunning(program.pid), false)
})

/** Alive and not a zombie waiting for a parent that may never reap it. */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
}

test('a program that cannot start is reported once, not again by a driver that recovers the task', async (t) => {
  const fx = await createFixture()
  t.after(() => fx.cleanup())
  const port = await freePort()
  const task = await createTask(fx.root, port, {
    applicationPool: [{ name: 'api' }],
    application: [
      { path: 'local' },
      {
        path: 'local',
        alias: 'api',
        application_pool: 'api',
        program: [{ command: 'no-such-program-here' }],
      },
    ],
    binding: [{ type: 'http', port: 'http' }],
  })
  const handle = await fx.driver.startTask(task)
  t.after(() => fx.driver.destroyTask(task.id, true).catch(() => {}))
  await waitFor(() => fx.events.some((e) => e.message.includes('no-such-program-here')), 5_000)
  const reported = fx.events.filter((e) => e.message.includes('no-such-program-here')).length

  const recovering = fx.newDriver()
  await recovering.recoverTask({ ...task, driverConfig: {} }, handle)
  await recovering.poolStatus(task.id)
  const served = await fetch(`http://127.0.0.1:${port}/`)

  assert.equal(served.status, 200)
  assert.equal(fx.events.filter((e) => e.message.includes('no-such-program-here')).length, reported)
})
