import { test } from 'node:test'
import assert from 'node:assert/strict'

import { parseJob } from './job-file.js'
import { RunnerError } from './errors.js'

const JOB = `variable "memory" {
  type    = number
  default = 128
}
variable "site_name" {
  type = string
}
variable "dcs" {
  default = ["eu1"]
}
job "x" {
  datacenters = var.dcs
  group "g" {
    task "t" {
      driver = "iis"
      env {
        LABEL = "site-\${var.site_name}-\${var.memory}MB"
        KEEP  = "\${NOMAD_TASK_NAME}"
      }
      resources {
        memory = var.memory
      }
    }
  }
}
`

test('variables take their defaults and --var values, keeping their types', async () => {
  const job = await parseJob('job.hcl', JOB, { site_name: 'shop', memory: '256' })

  const [task] = job.groups[0].tasks
  assert.equal(job.datacenter, 'eu1')
  assert.equal(task.memoryMb, 256)
  assert.deepEqual(task.env, { LABEL: 'site-shop-256MB', KEEP: '${NOMAD_TASK_NAME}' })
})

const BAD: [string, Record<string, string>, RegExp][] = [
  [
    'a variable without a value',
    {},
    /variable "site_name" has no default; give it with --var site_name=/,
  ],
  [
    'a value for no variable',
    { site_name: 's', colour: 'red' },
    /--var colour: the job declares no variable/,
  ],
  [
    'a number that is not one',
    { site_name: 's', memory: 'lots' },
    /--var memory=lots: variable "memory" is a number/,
  ],
]

for (const [name, given, message] of BAD) {
  test(`${name} is refused before anything starts`, async () => {
    await assert.rejects(parseJob('job.hcl', JOB, given), (err: unknown) => {
      assert.ok(err instanceof RunnerError)
      assert.equal(err.code, 'ERR_RUNNER_JOB_INVALID')
      assert.match(err.message, message)
      return true
    })
  })
}

test('a reference to an undeclared variable names it', async () => {
  const text =
    'job "x" {\n  group "g" {\n    task "t" {\n      driver = var.driver\n    }\n  }\n}\n'

  await assert.rejects(parseJob('job.hcl', text), /var\.driver is used but no variable "driver"/)
})
