/**
 * The examples run as given: the runner is started as its own process on
 * each example job, the served URLs are fetched from outside (and with curl),
 * and a signal stops everything it started.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

import {
  REPO_ROOT,
  collectSitePids,
  leftoverAllocDirs,
  makeWorkDir,
  startRunner,
  waitUntilGone,
} from './runner-harness.js'

test('the static-site example serves Swagger UI from the zipped artifact, also to curl', async (t) => {
  execFileSync('bash', [join(REPO_ROOT, 'examples/static-site/setup.sh')], { stdio: 'ignore' })
  const workDir = await makeWorkDir(t)
  const runner = startRunner(t, 'examples/static-site/job.hcl', workDir)

  const [line] = await runner.serving(1)
  const response = await fetch(line.urls[0])
  const body = await response.text()
  const viaCurl = execFileSync(
    'curl',
    [
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{content_type}',
      `${line.urls[0]}swagger-ui.css`,
    ],
    {
      encoding: 'utf8',
    },
  )

  assert.equal(line.taskName, 'swagger-ui')
  assert.match(
    line.allocId,
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  )
  assert.match(line.taskId, new RegExp(`^${line.allocId}/swagger-ui/[0-9a-f]{8}$`))
  assert.equal(line.isReady, true)
  assert.equal(response.status, 200)
  assert.match(body, /<div id="swagger-ui"><\/div>/)
  assert.match(viaCurl, /^200 text\/css/)
  assert.doesNotMatch(runner.stderr(), /plugin protocol:/)
})

test('the two-pools example routes the root, /app-a and the /docs virtual directory', async (t) => {
  const workDir = await makeWorkDir(t)
  const runner = startRunner(t, 'examples/two-pools/job.hcl', workDir)

  const [line] = await runner.serving(1)
  const base = line.urls[0]
  const root = await (await fetch(base)).text()
  const appA = await (await fetch(`${base}app-a/`)).text()
  const docs = await (await fetch(`${base}docs/`)).text()

  assert.match(root, /<h1>root application<\/h1>/)
  assert.match(appA, /<h1>app-a application<\/h1>/)
  assert.match(docs, /<h1>docs virtual directory<\/h1>/)
})

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} stops every site host and worker, removes the alloc dir and exits 0`, async (t) => {
    const workDir = await makeWorkDir(t)
    const runner = startRunner(t, 'examples/two-pools/job.hcl', workDir)
    const [line] = await runner.serving(1)
    await fetch(`${line.urls[0]}app-a/`).then((r) => r.text())
    const pids = await collectSitePids(runner.stateDir)

    runner.child.kill(signal)
    const { code } = await runner.exited

    assert.ok(
      pids.length >= 3,
      `expected a site host and two workers, found pids ${pids.join(', ')}`,
    )
    assert.equal(code, 0)
    assert.deepEqual(await waitUntilGone(pids), [])
    assert.deepEqual(await leftoverAllocDirs(workDir), [])
    assert.ok(runner.lines.some((l) => l.event === 'exited' && l.taskName === 'site'))
  })
}

test('a Ctrl-C to the whole process group still stops every task in order', async (t) => {
  const workDir = await makeWorkDir(t)
  const runner = startRunner(t, 'examples/two-pools/job.hcl', workDir, [], true)
  const [line] = await runner.serving(1)
  await fetch(line.urls[0]).then((r) => r.text())
  const pids = await collectSitePids(runner.stateDir)

  process.kill(-(runner.child.pid as number), 'SIGINT')
  const { code } = await runner.exited

  assert.equal(code, 0)
  assert.deepEqual(await waitUntilGone(pids), [])
  assert.deepEqual(await leftoverAllocDirs(workDir), [])
  assert.doesNotMatch(runner.stderr(), /stop failed/)
})

test('a SIGTERM to the whole process group still stops every task in order', async (t) => {
  const workDir = await makeWorkDir(t)
  const runner = startRunner(t, 'examples/two-pools/job.hcl', workDir, [], true)
  const [line] = await runner.serving(1)
  await fetch(line.urls[0]).then((r) => r.text())
  const pids = await collectSitePids(runner.stateDir)

  process.kill(-(runner.child.pid as number), 'SIGTERM')
  const { code } = await runner.exited

  assert.equal(code, 0)
  assert.deepEqual(await waitUntilGone(pids), [])
  assert.deepEqual(await leftoverAllocDirs(workDir), [])
  assert.doesNotMatch(runner.stderr(), /stop failed/)
})
