/**
 * A task that ends by itself is reported, and once every task has ended the
 * runner cleans up and exits non-zero. The site host is killed from outside
 * with SIGKILL, the hardest way a task can end.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'

import { collectSitePids, makeWorkDir, startRunner, waitUntilGone } from './runner-harness.js'

test('when its only task dies the runner reports the exit and exits 1', async (t) => {
  const workDir = await makeWorkDir(t)
  const runner = startRunner(t, 'examples/two-pools/job.hcl', workDir, ['--keep-alloc-dirs'])
  const [line] = await runner.serving(1)
  await fetch(line.urls[0]).then((r) => r.text())
  const pids = await collectSitePids(runner.stateDir)

  process.kill(pids[0], 'SIGKILL')
  const { code } = await runner.exited

  assert.equal(code, 1)
  const exit = runner.lines.find((l) => l.event === 'exited')
  assert.equal(exit?.taskName, 'site')
  assert.equal(exit?.allocId, line.allocId)
  assert.deepEqual(await waitUntilGone(pids), [])
  assert.ok((await stat(line.logs.stdout)).isFile())
  assert.equal(typeof (await readFile(line.logs.stderr, 'utf8')), 'string')
})
