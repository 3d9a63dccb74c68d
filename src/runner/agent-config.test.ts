import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { readAgentConfig } from './agent-config.js'
import { RunnerError } from './errors.js'

async function agentFile(t: { after: (fn: () => Promise<void>) => void }, text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'runner-agent-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const path = join(dir, 'agent.hcl')
  await writeFile(path, text)
  return path
}

test('without a file the plugin config only sets the state dir under the work dir', async () => {
  assert.deepEqual(await readAgentConfig(null, '/w/state'), {
    config: { state_dir: '/w/state' },
    args: [],
  })
})

test('the plugin block of an agent file gives its config and args, blocks as arrays', async (t) => {
  const path = await agentFile(
    t,
    `data_dir = "/opt/nomad"
plugin "docker" {
  config {
    volumes { enabled = true }
  }
}
plugin "nomad_iis" {
  args = ["--management-api-port", "5004"]
  config {
    enabled = true
    state_dir = "/srv/iis"
    procdump {
      accept_eula = true
    }
  }
}
`,
  )

  const agent = await readAgentConfig(path, '/w/state')

  assert.deepEqual(agent, {
    config: { enabled: true, state_dir: '/srv/iis', procdump: [{ accept_eula: true }] },
    args: ['--management-api-port', '5004'],
  })
})

test('an agent file with an HCL error is refused with the file named', async (t) => {
  const path = await agentFile(t, 'plugin "nomad_iis" {\n  config {\n    enabled = \n  }\n}\n')

  await assert.rejects(readAgentConfig(path, '/w/state'), (err: unknown) => {
    assert.ok(err instanceof RunnerError)
    assert.equal(err.code, 'ERR_RUNNER_AGENT_CONFIG')
    assert.match(err.message, /agent\.hcl:3,/)
    return true
  })
})
