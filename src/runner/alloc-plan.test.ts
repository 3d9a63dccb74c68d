import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode } from '@msgpack/msgpack'

import { planAllocs } from './alloc-plan.js'
import { RunnerError } from './errors.js'
import type { HclSpec } from './hcldec.js'
import { parseJob } from './job-file.js'

/** A small task spec in the shape TaskConfigSchema returns it. */
const SPEC: HclSpec = {
  object: {
    attributes: {
      applications: {
        block_list: {
          name: 'application',
          nested: {
            object: {
              attributes: { path: { Attr: { name: 'path', type: 'string', required: true } } },
            },
          },
        },
      },
      bindings: {
        block_list: {
          name: 'binding',
          nested: {
            object: {
              attributes: {
                type: { Attr: { name: 'type', type: 'string' } },
                port: { Attr: { name: 'port', type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
}

const JOB = `job "web" {
  namespace = "team"
  group "g" {
    network {
      port "http" {}
    }
    task "site" {
      driver = "iis"
      kill_signal = "SIGINT"
      config {
        application {
          path = "\${NOMAD_TASK_DIR}/site"
        }
        binding {
          type = "http"
          port = "http"
        }
      }
      resources {
        cpu    = 250
        memory = 64
      }
    }
    task "sidecar" {
      driver = "docker"
    }
  }
}
`

function input(job: Awaited<ReturnType<typeof parseJob>>) {
  return {
    job,
    taskSpec: SPEC,
    allocsDir: '/w/allocs',
    hostIp: '127.0.0.1',
    nodeId: 'n1',
    hostEnv: {},
  }
}

test('an alloc is planned with a Nomad-shaped TaskConfig and the config decoded and encoded', async () => {
  const job = await parseJob('/jobs/job.hcl', JOB)

  const [alloc, ...rest] = await planAllocs(input(job))

  assert.equal(rest.length, 0)
  assert.deepEqual(
    alloc.tasks.map((t) => t.spec.name),
    ['site'],
  )
  const [task] = alloc.tasks
  const { wire } = task
  const port = alloc.ports[0].value
  assert.match(wire.id, new RegExp(`^${alloc.allocId}/site/[0-9a-f]{8}$`))
  assert.equal(wire.alloc_dir, `/w/allocs/${alloc.allocId}`)
  assert.equal(wire.stdout_path, `/w/allocs/${alloc.allocId}/alloc/logs/.site.stdout.fifo`)
  assert.equal(wire.namespace, 'team')
  assert.equal(wire.task_group_name, 'g')
  assert.deepEqual(wire.resources.ports, [
    { label: 'http', value: port, to: 0, host_ip: '127.0.0.1' },
  ])
  assert.equal(wire.resources.allocated_resources.cpu.cpu_shares, 250)
  assert.equal(wire.resources.linux_resources.memory_limit_bytes, 64 * 1024 * 1024)
  assert.equal(wire.env.NOMAD_PORT_http, String(port))
  const expected = {
    applications: [{ path: `/w/allocs/${alloc.allocId}/site/local/site` }],
    bindings: [{ port: 'http', type: 'http' }],
  }
  assert.deepEqual(task.decoded, expected)
  assert.deepEqual(decode(wire.msgpack_driver_config), expected)
})

test('a config the spec refuses is an error naming the task', async () => {
  const job = await parseJob('/jobs/job.hcl', JOB.replace('type = "http"', 'tipe = "http"'))

  await assert.rejects(planAllocs(input(job)), (err: unknown) => {
    assert.ok(err instanceof RunnerError)
    assert.equal(err.code, 'ERR_RUNNER_TASK_CONFIG')
    assert.match(err.message, /^task "site": .*tipe/)
    return true
  })
})

test('count above 1 with a static port is refused before anything starts', async () => {
  const text = JOB.replace(
    'port "http" {}',
    'port "http" {\n        static = 8080\n      }',
  ).replace('group "g" {', 'group "g" {\n    count = 2')
  const job = await parseJob('/jobs/job.hcl', text)

  await assert.rejects(planAllocs(input(job)), /count = 2 with static port "http"/)
})
