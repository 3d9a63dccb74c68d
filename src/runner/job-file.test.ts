import { test } from 'node:test'
import assert from 'node:assert/strict'

import { parseJob } from './job-file.js'
import { RunnerError } from './errors.js'

const JOB = `
job "web" {
  datacenters = ["dc1"]
  meta { team = "a" }
  group "g" {
    network {
      port "http" {}
      port "admin" {
        static = 8080
        to     = 80
      }
    }
    task "site" {
      driver       = "iis"
      kill_timeout = "10s"
      env {
        PORT = "\${NOMAD_PORT_http}"
      }
      artifact {
        source      = "site.zip"
        destination = "local/site"
        options {
          archive = false
        }
      }
      config {
        application {
          path = "local/site"
        }
        binding {
          type = "http"
          port = "http"
        }
      }
    }
    task "other" {
      driver = "docker"
    }
  }
}
`

test('a job file becomes groups, ports and tasks with Nomad defaults', async () => {
  const job = await parseJob('job.hcl', JOB)

  assert.equal(job.id, 'web')
  assert.equal(job.namespace, 'default')
  assert.equal(job.region, 'global')
  assert.equal(job.datacenter, 'dc1')
  assert.deepEqual(job.meta, { team: 'a' })
  const [group] = job.groups
  assert.deepEqual(group.ports, [
    { label: 'admin', staticPort: 8080, to: 80 },
    { label: 'http', staticPort: null, to: 0 },
  ])
  const site = group.tasks.find((t) => t.name === 'site')
  const other = group.tasks.find((t) => t.name === 'other')
  assert.ok(site !== undefined && other !== undefined)
  assert.equal(site.killTimeoutMs, 10_000)
  assert.equal(site.memoryMb, 300)
  assert.deepEqual(site.env, { PORT: '${NOMAD_PORT_http}' })
  assert.deepEqual(site.artifacts, [
    { source: 'site.zip', destination: 'local/site', mode: 'any', options: { archive: 'false' } },
  ])
  assert.deepEqual(site.config, {
    application: [{ path: 'local/site' }],
    binding: [{ type: 'http', port: 'http' }],
  })
  assert.equal(other.driver, 'docker')
  assert.equal(other.killTimeoutMs, 5000)
})

test('a syntax error names the file, line and column', async () => {
  const text = 'job "x" {\n  group "g" {\n    count = \n  }\n}\n'

  const err = await parseJob('broken.hcl', text).catch((e: unknown) => e)

  assert.ok(err instanceof RunnerError)
  assert.equal(err.code, 'ERR_RUNNER_JOB_SYNTAX')
  assert.match(err.message, /^broken\.hcl:3:\d+: /)
})

const INVALID: [string, string, RegExp][] = [
  ['no job', 'locals {\n  a = 1\n}', /exactly one job block/],
  ['no group', 'job "x" {}', /no group block/],
  ['no driver', 'job "x" {\ngroup "g" {\ntask "t" {}\n}\n}', /no driver/],
  [
    'a bad kill_timeout',
    'job "x" {\ngroup "g" {\ntask "t" {\ndriver = "iis"\nkill_timeout = "soon"\n}\n}\n}',
    /kill_timeout "soon"/,
  ],
  [
    'a misspelt task key',
    'job "x" {\ngroup "g" {\ntask "t" {\ndriver = "iis"\nkill_timout = "5s"\n}\n}\n}',
    /task "t": unsupported argument or block "kill_timout" in a task block/,
  ],
  [
    'bridge networking',
    'job "x" {\ngroup "g" {\nnetwork {\nmode = "bridge"\n}\ntask "t" {\ndriver = "iis"\n}\n}\n}',
    /network mode "bridge"/,
  ],
  [
    'an unknown artifact key',
    'job "x" {\ngroup "g" {\ntask "t" {\ndriver = "iis"\nartifact {\nsource = "a"\nsauce = 1\n}\n}\n}\n}',
    /unsupported argument "sauce"/,
  ],
  [
    'a task name that climbs out of the alloc dir',
    'job "x" {\ngroup "g" {\ntask "../../../tmp/w" {\ndriver = "iis"\n}\n}\n}',
    /task "..\/..\/..\/tmp\/w": a task name cannot .* hold "\/"/,
  ],
  [
    'a task named ".."',
    'job "x" {\ngroup "g" {\ntask ".." {\ndriver = "iis"\n}\n}\n}',
    /task "..": a task name cannot be empty, "." or ".."/,
  ],
  [
    'a group name with a slash',
    'job "x" {\ngroup "a/b" {\ntask "t" {\ndriver = "iis"\n}\n}\n}',
    /group "a\/b": a group name cannot/,
  ],
]

for (const [name, text, message] of INVALID) {
  test(`a job with ${name} is refused with a message saying what to change`, async () => {
    await assert.rejects(parseJob('job.hcl', text), (err: unknown) => {
      assert.ok(err instanceof RunnerError)
      assert.equal(err.code, 'ERR_RUNNER_JOB_INVALID')
      assert.match(err.message, message)
      return true
    })
  })
}

test('a logs block sets logmon limits; without one Nomad defaults apply', async () => {
  const text = (logs: string) =>
    `job "x" {\n  group "g" {\n    task "t" {\n      driver = "iis"\n${logs}\n    }\n  }\n}\n`

  const limited = await parseJob('job.hcl', text('logs {\n  max_files = 3\n  max_file_size = 2\n}'))
  const defaults = await parseJob('job.hcl', text(''))
  const disabled = await parseJob('job.hcl', text('logs {\n  disabled = true\n}'))

  assert.deepEqual(limited.groups[0].tasks[0].logs, {
    maxFiles: 3,
    maxFileBytes: 2 * 1024 * 1024,
    isDisabled: false,
  })
  assert.deepEqual(defaults.groups[0].tasks[0].logs, {
    maxFiles: 10,
    maxFileBytes: 10 * 1024 * 1024,
    isDisabled: false,
  })
  assert.equal(disabled.groups[0].tasks[0].logs.isDisabled, true)
})

test('blocks Nomad knows but the runner does not act on are named, not refused', async () => {
  const text = `job "x" {
  type = "service"
  group "g" {
    restart {
      attempts = 2
    }
    task "t" {
      driver = "iis"
      template {
        data        = "x"
        destination = "local/x"
      }
    }
  }
}
`

  const job = await parseJob('job.hcl', text)

  assert.deepEqual(job.notes, [
    'job "x": "type" is not acted on by the local runner; ignored',
    'group "g": "restart" is not acted on by the local runner; ignored',
  ])
  assert.deepEqual(job.groups[0].tasks[0].notes, [
    'task "t": "template" is not acted on by the local runner; ignored',
  ])
})
