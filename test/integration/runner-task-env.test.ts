/**
 * The task env a Nomad client builds reaches the application: a small node
 * program behind httpPlatform answers with its own environment, so the
 * NOMAD_* variables, the interpolated env block and the runner's own
 * environment are checked where they matter, in the worker. The plugin
 * process inherits the runner's whole environment, as it inherits a Nomad
 * agent's, so the deny list is checked here too: an agent secret must not
 * reach the application.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { makeWorkDir, startRunner } from './runner-harness.js'

const PROGRAM = `import { createServer } from 'node:http'
createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(process.env))
}).listen(Number(process.env.HTTP_PLATFORM_PORT), '127.0.0.1')
`

const WEB_CONFIG = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.webServer>
    <handlers>
      <add name="httpPlatformHandler" path="*" verb="*" modules="httpPlatformHandler" resourceType="Unspecified" />
    </handlers>
    <httpPlatform processPath="${process.execPath}" arguments="env-echo.mjs" stdoutLogEnabled="false" />
  </system.webServer>
</configuration>
`

const JOB = `job "env-check" {
  meta {
    team = "web"
  }
  group "g" {
    network {
      port "http" {}
    }
    task "echo" {
      driver = "iis"
      artifact {
        source      = "app"
        destination = "local/app"
      }
      env {
        GREETING = "hello from \${NOMAD_TASK_NAME} on port \${NOMAD_PORT_http}"
      }
      config {
        application {
          path = "local/app"
        }
        binding {
          type = "http"
          port = "http"
        }
      }
    }
  }
}
`

test('the NOMAD_* variables and the interpolated env block reach the application', async (t) => {
  const workDir = await makeWorkDir(t)
  const jobDir = join(workDir, 'job')
  await mkdir(join(jobDir, 'app'), { recursive: true })
  await writeFile(join(jobDir, 'app', 'env-echo.mjs'), PROGRAM)
  await writeFile(join(jobDir, 'app', 'web.config'), WEB_CONFIG)
  await writeFile(join(jobDir, 'job.hcl'), JOB)
  const env = { ...process.env, RUNNER_TEST_MARK: 'passed-on', VAULT_TOKEN: 'agent-secret' }
  const runner = startRunner(t, join(jobDir, 'job.hcl'), join(workDir, 'work'), [], false, env)

  const [line] = await runner.serving(1)
  const seen = (await (await fetch(line.urls[0])).json()) as Record<string, string>
  const port = new URL(line.urls[0]).port

  assert.equal(seen.NOMAD_ALLOC_ID, line.allocId)
  assert.equal(seen.NOMAD_TASK_NAME, 'echo')
  assert.equal(seen.NOMAD_GROUP_NAME, 'g')
  assert.equal(seen.NOMAD_JOB_ID, 'env-check')
  assert.equal(seen.NOMAD_NAMESPACE, 'default')
  assert.equal(seen.NOMAD_TASK_DIR, join(line.allocDir, 'echo', 'local'))
  assert.equal(seen.NOMAD_ALLOC_DIR, join(line.allocDir, 'alloc'))
  assert.equal(seen.NOMAD_PORT_http, port)
  assert.equal(seen.NOMAD_ADDR_http, `127.0.0.1:${port}`)
  assert.equal(seen.NOMAD_META_team, 'web')
  assert.equal(seen.GREETING, `hello from echo on port ${port}`)
  assert.equal(seen.RUNNER_TEST_MARK, 'passed-on')
  // The plugin (and so the site host) inherits the agent's whole environment;
  // the application must see only the task's, where the deny list applies.
  assert.equal(seen.VAULT_TOKEN, undefined)
})
