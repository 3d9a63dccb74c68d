/**
 * The runner as a Nomad client after a plugin crash: the plugin is killed
 * with SIGKILL while the site serves; the site keeps answering, the runner
 * starts a fresh plugin, recovers the task on it (RecoverTask) and can
 * still stop everything in order.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'

import {
  collectSitePids,
  isAlive,
  leftoverAllocDirs,
  makeWorkDir,
  startRunner,
  waitUntilGone,
} from './runner-harness.js'

test('a plugin killed with SIGKILL is replaced, the task recovered, and the stop still clean', async (t) => {
  const workDir = await makeWorkDir(t)
  const runner = startRunner(t, 'examples/two-pools/job.hcl', workDir)
  const [line] = await runner.serving(1)
  const sitePids = await collectSitePids(runner.stateDir)
  const firstPlugin = runner.lines.find((l) => l.event === 'plugin-started')?.pid as number

  process.kill(firstPlugin, 'SIGKILL')
  let failures = 0
  let second: number | undefined
  // A request loop, bounded in time, until the runner has started the second plugin.
  const giveUpAt = Date.now() + 30_000
  while (second === undefined && Date.now() < giveUpAt) {
    const ok = await fetch(line.urls[0]).then(
      (r) => r.ok,
      () => false,
    )
    if (!ok) failures++
    const launches = runner.lines.filter((l) => l.event === 'plugin-started')
    second = launches.length > 1 ? (launches[1].pid as number) : undefined
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  while (!runner.stderr().includes('recovered on the restarted plugin') && Date.now() < giveUpAt) {
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  runner.child.kill('SIGTERM')
  const { code } = await runner.exited

  assert.equal(failures, 0)
  assert.ok(second !== undefined && second !== firstPlugin, 'a second plugin was started')
  assert.match(runner.stderr(), /task "site" recovered on the restarted plugin/)
  assert.equal(code, 0)
  assert.equal(await isAlive(second as number), false)
  assert.deepEqual(await waitUntilGone(sitePids), [])
  assert.deepEqual(await leftoverAllocDirs(workDir), [])
})
