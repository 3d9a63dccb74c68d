/**
 * The runner's options reach the plugin as a Nomad agent's would: an agent
 * config file's plugin block, and the Management API arguments. A group's
 * `count` gives that many allocs, each with its own alloc id and port.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

import {
  REPO_ROOT,
  leftoverAllocDirs,
  makeWorkDir,
  runToEnd,
  startRunner,
} from './runner-harness.js'

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('the agent config file sets the plugin state dir and the API options reach the plugin', async (t) => {
  const workDir = await makeWorkDir(t)
  const stateDir = join(workDir, 'custom-state')
  const agentPath = join(workDir, 'agent.hcl')
  await writeFile(
    agentPath,
    `client {\n  enabled = true\n}\nplugin "nomad_iis" {\n  config {\n    state_dir = "${stateDir}"\n  }\n}\n`,
  )
  const apiPort = await freePort()
  const runner = startRunner(
    t,
    join(REPO_ROOT, 'examples/two-pools/job.hcl'),
    join(workDir, 'work'),
    [
      '--agent-config',
      agentPath,
      '--management-api-port',
      String(apiPort),
      '--management-api-key',
      'local-key',
    ],
  )

  const [line] = await runner.serving(1)
  const status = await fetch(
    `http://127.0.0.1:${apiPort}/api/v1/allocs/${line.allocId}/site/status`,
    {
      headers: { 'X-Api-Key': 'local-key' },
    },
  )
  const refused = await fetch(
    `http://127.0.0.1:${apiPort}/api/v1/allocs/${line.allocId}/site/status`,
  )

  assert.match(runner.stderr(), new RegExp(`management API: http://127\\.0\\.0\\.1:${apiPort}/`))
  assert.equal(status.status, 200)
  const body = (await status.json()) as { allocId: string; applicationPools: { name: string }[] }
  assert.equal(body.allocId, line.allocId)
  assert.deepEqual(body.applicationPools.map((p) => p.name).sort(), ['default', 'pool-a'])
  assert.equal(refused.status, 401)
  assert.equal((await readdir(join(stateDir, 'sites'))).length, 1)
})

test('count = 2 runs two allocs, each with its own alloc id and port', async (t) => {
  const workDir = await makeWorkDir(t)
  const jobPath = join(workDir, 'job.hcl')
  const site = join(REPO_ROOT, 'examples/two-pools/site/root')
  await writeFile(
    jobPath,
    `job "twice" {
  group "web" {
    count = 2
    network {
      port "http" {}
    }
    task "site" {
      driver = "iis"
      env {
        INDEX = "\${NOMAD_ALLOC_INDEX}"
      }
      config {
        application {
          path = "${site}"
        }
        binding {
          type = "http"
          port = "http"
        }
      }
    }
  }
}
`,
  )
  const runner = startRunner(t, jobPath, join(workDir, 'work'))

  const lines = await runner.serving(2)
  const bodies = await Promise.all(lines.map(async (l) => (await fetch(l.urls[0])).text()))

  assert.notEqual(lines[0].allocId, lines[1].allocId)
  assert.notEqual(lines[0].urls[0], lines[1].urls[0])
  for (const body of bodies) assert.match(body, /root application/)
})

test('two iis tasks of one group share the alloc and its dir, each on its own port', async (t) => {
  const workDir = await makeWorkDir(t)
  const jobPath = join(workDir, 'job.hcl')
  const task = (name: string, dir: string, label: string) => `    task "${name}" {
      driver = "iis"
      config {
        application {
          path = "${join(REPO_ROOT, 'examples/two-pools/site', dir)}"
        }
        binding {
          type = "http"
          port = "${label}"
        }
      }
    }
`
  await writeFile(
    jobPath,
    `job "pair" {\n  group "g" {\n    network {\n      port "front" {}\n      port "back" {}\n    }\n${task('front', 'root', 'front')}${task('back', 'app-a', 'back')}  }\n}\n`,
  )
  const runner = startRunner(t, jobPath, join(workDir, 'work'))

  const lines = await runner.serving(2)
  const byName = Object.fromEntries(lines.map((l) => [l.taskName, l]))
  const front = await (await fetch(byName.front.urls[0])).text()
  const back = await (await fetch(byName.back.urls[0])).text()

  assert.equal(byName.front.allocId, byName.back.allocId)
  assert.equal(byName.front.allocDir, byName.back.allocDir)
  assert.notEqual(byName.front.urls[0], byName.back.urls[0])
  assert.match(front, /root application/)
  assert.match(back, /app-a application/)
})

const AGENT_CASES: [string, string, RegExp][] = [
  [
    'disables the driver',
    'enabled = false',
    /the driver fingerprints as undetected: .*enabled = false/,
  ],
  ['has an unknown key', 'colour = 1', /plugin "nomad_iis" config: .*'colour'/],
  [
    'has a bad duration',
    'fingerprint_interval = "soon"',
    /the plugin refused its config: .*"soon"/,
  ],
]

for (const [name, line, message] of AGENT_CASES) {
  test(`an agent config that ${name} stops the run before any task, with the reason`, async (t) => {
    const workDir = await makeWorkDir(t)
    const agentPath = join(workDir, 'agent.hcl')
    await writeFile(agentPath, `plugin "nomad_iis" {\n  config {\n    ${line}\n  }\n}\n`)

    const { code, stderr } = await runToEnd(
      join(REPO_ROOT, 'examples/two-pools/job.hcl'),
      workDir,
      ['--agent-config', agentPath],
    )

    assert.equal(code, 1)
    assert.match(stderr, message)
    assert.deepEqual(await leftoverAllocDirs(workDir), [])
  })
}
