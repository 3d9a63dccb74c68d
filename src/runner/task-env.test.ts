import { test } from 'node:test'
import assert from 'node:assert/strict'

import { buildTaskEnv, replaceEnv } from './task-env.js'
import type { TaskEnvInput } from './task-env.js'

function input(overrides: Partial<TaskEnvInput> = {}): TaskEnvInput {
  return {
    jobId: 'web',
    jobName: 'web',
    namespace: 'default',
    region: 'global',
    datacenter: 'dc1',
    groupName: 'g',
    taskName: 'site',
    allocId: '0b0f3bd6-1a4c-4e5e-9d7f-0d5f7e3c2a11',
    allocIndex: 0,
    sharedAllocDir: '/w/a/alloc',
    taskDirs: {
      root: '/w/a/site',
      local: '/w/a/site/local',
      secrets: '/w/a/site/secrets',
      tmp: '',
      private: '',
    },
    ports: [
      { label: 'http', value: 23456, to: 0, hostIp: '127.0.0.1' },
      { label: 'my-admin', value: 8080, to: 80, hostIp: '127.0.0.1' },
    ],
    cpuMhz: 100,
    memoryMb: 300,
    memoryMaxMb: 0,
    meta: { version: 'v1' },
    taskEnv: {},
    hostEnv: {},
    nodeId: 'node-1',
    ...overrides,
  }
}

test('the task env carries the NOMAD_* variables a Nomad client sets', () => {
  const { env } = buildTaskEnv(input())

  assert.equal(env.NOMAD_ALLOC_ID, '0b0f3bd6-1a4c-4e5e-9d7f-0d5f7e3c2a11')
  assert.equal(env.NOMAD_SHORT_ALLOC_ID, '0b0f3bd6')
  assert.equal(env.NOMAD_ALLOC_NAME, 'web.g[0]')
  assert.equal(env.NOMAD_ALLOC_DIR, '/w/a/alloc')
  assert.equal(env.NOMAD_TASK_DIR, '/w/a/site/local')
  assert.equal(env.NOMAD_SECRETS_DIR, '/w/a/site/secrets')
  assert.equal(env.NOMAD_TASK_NAME, 'site')
  assert.equal(env.NOMAD_GROUP_NAME, 'g')
  assert.equal(env.NOMAD_JOB_ID, 'web')
  assert.equal(env.NOMAD_NAMESPACE, 'default')
  assert.equal(env.NOMAD_REGION, 'global')
  assert.equal(env.NOMAD_DC, 'dc1')
  assert.equal(env.NOMAD_META_version, 'v1')
  assert.equal(env.NOMAD_META_VERSION, 'v1')
  assert.equal(env.NOMAD_MEMORY_LIMIT, '300')
  assert.equal('NOMAD_MEMORY_MAX_LIMIT' in env, false)
})

test('ports give PORT, HOST_PORT, IP and ADDR, with `to` inside and labels cleaned', () => {
  const { env } = buildTaskEnv(input())

  assert.equal(env.NOMAD_PORT_http, '23456')
  assert.equal(env.NOMAD_HOST_PORT_http, '23456')
  assert.equal(env.NOMAD_ADDR_http, '127.0.0.1:23456')
  assert.equal(env.NOMAD_IP_http, '127.0.0.1')
  assert.equal(env.NOMAD_PORT_my_admin, '80')
  assert.equal(env.NOMAD_ALLOC_PORT_my_admin, '80')
  assert.equal(env.NOMAD_HOST_PORT_my_admin, '8080')
  assert.equal(env.NOMAD_ADDR_my_admin, '127.0.0.1:8080')
})

test('the env block is interpolated; unknown names stay as written', () => {
  const taskEnv = { URL: 'http://${NOMAD_ADDR_http}/', DC: '${node.datacenter}', KEEP: '${NOPE}' }

  const { env } = buildTaskEnv(input({ taskEnv }))

  assert.equal(env.URL, 'http://127.0.0.1:23456/')
  assert.equal(env.DC, 'dc1')
  assert.equal(env.KEEP, '${NOPE}')
})

test('the agent environment reaches the task except the deny-listed secrets', () => {
  const hostEnv = { LANG: 'C.UTF-8', VAULT_TOKEN: 's.secret', NOMAD_TASK_NAME: 'spoof' }

  const { env } = buildTaskEnv(input({ hostEnv }))

  assert.equal(env.LANG, 'C.UTF-8')
  assert.equal('VAULT_TOKEN' in env, false)
  assert.equal(env.NOMAD_TASK_NAME, 'site')
})

test('replaceEnv replaces every known name in a string', () => {
  assert.equal(replaceEnv('${A}-${B}-${A}', { A: '1', B: '2' }), '1-2-1')
})
