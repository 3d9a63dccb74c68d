// A hosted program must not outlive its site host, even when nobody is left
// to clean up: the site host killed with SIGKILL and no driver watching.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { app, makeSite, pool, startSite, waitFor, writeFiles } from './webhost-fixture.js'

const PROGRAM = `require('node:http')
  .createServer((req, res) => res.end(String(process.pid)))
  .listen(Number(process.env.PORT), '127.0.0.1')
`

test('a program dies with its site host when the site host is killed with SIGKILL', async (t) => {
  const fixture = await makeSite(t, (dir) => {
    writeFiles(join(dir, 'api'), { 'server.cjs': PROGRAM })
    const api = app('/', join(dir, 'api'))
    api.program = {
      command: process.execPath,
      args: ['server.cjs'],
      portEnv: 'PORT',
      env: {},
      workingDirectory: join(dir, 'api'),
    }
    return { applications: [api], pools: [pool('default', { startMode: 'AlwaysRunning' })] }
  })
  const site = await startSite(t, fixture)
  const programPid = Number(await (await fetch(fixture.url('/'))).text())
  t.after(() => {
    try {
      process.kill(programPid, 'SIGKILL')
    } catch {
      // Gone, as it should be.
    }
  })

  process.kill(site.host.pid, 'SIGKILL')
  await waitFor(async () => !(await isRunning(programPid)), 'program exit', 5_000).catch(() => {})

  assert.equal(await isRunning(programPid), false, 'the program outlived its site host')
})

/** Alive and not a zombie waiting for a parent that may never reap it. */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}
