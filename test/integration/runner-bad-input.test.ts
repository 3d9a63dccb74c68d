/**
 * Every bad job the runner can be given fails before anything runs: a clear
 * message, a non-zero exit, no alloc dir and no site host left behind.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import {
  REPO_ROOT,
  collectSitePids,
  leftoverAllocDirs,
  makeWorkDir,
  runToEnd,
  waitUntilGone,
} from './runner-harness.js'

function job(config: string, network = 'port "http" {}'): string {
  return `job "bad" {
  group "web" {
    network {
      ${network}
    }
    task "site" {
      driver = "iis"
      config {
${config}
      }
    }
  }
}
`
}

const BINDING = 'binding {\n  type = "http"\n  port = "http"\n}'

const CASES: [string, string, RegExp[]][] = [
  ['a syntax error', 'job "bad" {\n  group "web" {\n    count = \n  }\n}\n', [/job\.hcl:3:\d+: /]],
  [
    'an unknown key in config',
    job(`application {\n  path = "local"\n  colour = "blue"\n}\n${BINDING}`),
    [/colour/, /application/],
  ],
  [
    'a missing application path',
    job(`application {\n  alias = "/x"\n}\n${BINDING}`),
    [/path/, /application/],
  ],
  [
    'a pool name over 8 characters',
    job(
      `application_pool {\n  name = "muchtoolongname"\n}\napplication {\n  path = "local"\n  application_pool = "muchtoolongname"\n}\n${BINDING}`,
    ),
    [/muchtoolongname/, /too long/],
  ],
  [
    'an application referring to an undefined pool',
    job(`application {\n  path = "local"\n  application_pool = "ghost"\n}\n${BINDING}`),
    [/ghost/],
  ],
  [
    'a binding to a port label missing from the network block',
    job(`application {\n  path = "local"\n}\nbinding {\n  type = "http"\n  port = "nosuchport"\n}`),
    [/nosuchport/],
  ],
  [
    'two applications with the same alias',
    job(
      `application {\n  path = "local"\n  alias = "/twin"\n}\napplication {\n  path = "local"\n  alias = "/twin"\n}\n${BINDING}`,
    ),
    [/twin/, /alias/],
  ],
  [
    'an invalid duration',
    job(
      `application_pool {\n  name = "default"\n  idle_timeout = "forever-ish"\n}\napplication {\n  path = "local"\n}\n${BINDING}`,
    ),
    [/forever-ish/],
  ],
]

for (const [name, text, messages] of CASES) {
  test(`a job with ${name} exits non-zero with its message and leaves nothing behind`, async (t) => {
    const workDir = await makeWorkDir(t)
    const jobPath = join(workDir, 'job.hcl')
    await writeFile(jobPath, text)

    const { code, stderr } = await runToEnd(jobPath, workDir)

    assert.notEqual(code, 0)
    for (const message of messages) assert.match(stderr, message)
    assert.deepEqual(await leftoverAllocDirs(workDir), [])
    assert.deepEqual(await collectSitePids(join(workDir, 'state')), [])
  })
}

test('with --json a failed run ends with a failed line carrying the error code', async (t) => {
  const workDir = await makeWorkDir(t)
  const jobPath = join(workDir, 'job.hcl')
  await writeFile(jobPath, 'job "x" {\n  group "g" {\n    count = \n  }\n}\n')

  const { code, stdout } = await runToEnd(jobPath, workDir, ['--json'])

  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.equal(code, 1)
  assert.equal(lines.at(-1)?.event, 'failed')
  assert.equal(lines.at(-1)?.code, 'ERR_RUNNER_JOB_SYNTAX')
  assert.match(String(lines.at(-1)?.message), /job\.hcl:3:\d+: /)
})

test('a job without any iis task says so and exits non-zero', async (t) => {
  const workDir = await makeWorkDir(t)
  const jobPath = join(workDir, 'job.hcl')
  await writeFile(
    jobPath,
    'job "x" {\n  group "g" {\n    task "t" {\n      driver = "docker"\n    }\n  }\n}\n',
  )

  const { code, stdout, stderr } = await runToEnd(jobPath, workDir)

  assert.equal(code, 1)
  assert.match(stdout, /task "t" skipped: driver "docker"/)
  assert.match(stderr, /no task with driver = "iis"/)
})

test('a job file that does not exist is named in the error', async (t) => {
  const workDir = await makeWorkDir(t)

  const { code, stderr } = await runToEnd(join(workDir, 'missing.hcl'), workDir)

  assert.equal(code, 1)
  assert.match(stderr, /cannot read job file .*missing\.hcl/)
})

test('bad command-line options exit 2 with the usage', async (t) => {
  const workDir = await makeWorkDir(t)

  const timeout = await runToEnd('examples/two-pools/job.hcl', workDir, ['--ready-timeout', 'soon'])
  const unknown = await runToEnd('examples/two-pools/job.hcl', workDir, ['--colour'])

  assert.equal(timeout.code, 2)
  assert.match(timeout.stderr, /--ready-timeout "soon" is not a duration/)
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /usage: nomad-iis run <job\.hcl>/)
  assert.deepEqual(await leftoverAllocDirs(workDir), [])
})

test('a task the plugin refuses after another started stops that one too, leaving nothing', async (t) => {
  const workDir = await makeWorkDir(t)
  const jobPath = join(workDir, 'job.hcl')
  const site = 'examples/two-pools/site/root'
  const group = (name: string, pool: string) => `  group "${name}" {
    network {
      port "http" {}
    }
    task "site" {
      driver = "iis"
      config {
        application_pool {
          name = "${pool}"
        }
        application {
          path             = "${join(REPO_ROOT, site)}"
          application_pool = "${pool}"
        }
        binding {
          type = "http"
          port = "http"
        }
      }
    }
  }
`
  await writeFile(
    jobPath,
    `job "half" {\n${group('a-good', 'ok')}${group('b-bad', 'waytoolongname')}}\n`,
  )

  const { code, stdout, stderr } = await runToEnd(jobPath, workDir, ['--json'])

  const events = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.equal(code, 1)
  assert.match(stderr, /waytoolongname/)
  assert.ok(
    events.some((e) => e.event === 'exited' && e.taskName === 'site'),
    'the started task was stopped',
  )
  assert.deepEqual(await waitUntilGone(await collectSitePids(join(workDir, 'state'))), [])
  assert.deepEqual(await leftoverAllocDirs(workDir), [])
})
