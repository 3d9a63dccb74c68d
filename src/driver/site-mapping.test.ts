import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTaskConfig } from './config.js'
import { buildSiteDefinition } from './site-mapping.js'
import { isDriverError } from './errors.js'
import { POOL_DEFAULTS } from '../webhost/site-definition.js'
import type { TaskConfig } from './types.js'

const ALLOC_ID = '0b8a2f3c-1d4e-4f60-9a7b-0c1d2e3f4a5b'
const SITE = `nomad-${ALLOC_ID}-web`

function task(driverConfig: Record<string, unknown>): TaskConfig {
  return {
    id: `${ALLOC_ID}/web/1a2b3c4d`,
    name: 'web',
    driverConfig,
    env: { NOMAD_TASK_NAME: 'web', GREETING: 'hello' },
    allocDir: '/srv/alloc',
    stdoutPath: '/srv/alloc/alloc/logs/web.stdout.0',
    stderrPath: '/srv/alloc/alloc/logs/web.stderr.0',
    taskGroupName: 'group',
    jobName: 'job',
    jobId: 'job',
    allocId: ALLOC_ID,
    namespace: 'default',
    ports: [{ label: 'http', value: 25001, to: 0 }],
    networkIp: '127.0.0.1',
    memoryMb: 64,
    cpuShares: 100,
  }
}

function map(driverConfig: Record<string, unknown>) {
  const config = task(driverConfig)
  const settings = parseTaskConfig(config.driverConfig, { ports: config.ports })
  return buildSiteDefinition(settings, config, { placeholderDir: '/opt/placeholder' })
}

test('a minimal task maps to one site, one default pool with IIS defaults and the task env', () => {
  const site = map({ application: [{ path: 'local' }], binding: [{ type: 'http', port: 'http' }] })

  assert.equal(site.name, SITE)
  assert.deepEqual(site.owner, {
    allocId: ALLOC_ID,
    taskName: 'web',
    taskId: `${ALLOC_ID}/web/1a2b3c4d`,
    jobName: 'job',
    jobId: 'job',
    namespace: 'default',
    taskGroupName: 'group',
  })
  assert.deepEqual(site.bindings, [
    { protocol: 'http', port: 25001, ipAddress: null, hostname: null },
  ])
  assert.deepEqual(site.applications, [
    {
      alias: '/',
      physicalPath: '/srv/alloc/web/local',
      pool: 'default',
      enablePreload: false,
      virtualDirectories: [],
      program: null,
    },
  ])
  assert.deepEqual(site.pools, [
    {
      key: 'default',
      name: SITE,
      ...POOL_DEFAULTS,
      maxProcesses: 1,
      rapidFailProtection: { ...POOL_DEFAULTS.rapidFailProtection },
      env: { NOMAD_TASK_NAME: 'web', GREETING: 'hello' },
    },
  ])
  assert.equal(site.stdoutPath, '/srv/alloc/alloc/logs/web.stdout.0')
  assert.equal(site.stderrPath, '/srv/alloc/alloc/logs/web.stderr.0')
})

test('two pools, an aliased application and a virtual directory map with full names and resolved paths', () => {
  const site = map({
    applicationPool: [{ name: 'appA', start_mode: 'AlwaysRunning', idle_timeout: '0s' }],
    application: [
      { path: 'local/root', virtual_directory: [{ alias: 'docs', path: '/srv/shared/docs' }] },
      { path: '../alloc/data/a', alias: 'app-a', application_pool: 'appA' },
    ],
    binding: [{ type: 'http', port: 'http', hostname: 'example.test', ip_address: '127.0.0.1' }],
  })

  assert.deepEqual(
    site.pools.map((pool) => [pool.key, pool.name, pool.startMode, pool.idleTimeoutMs]),
    [
      ['default', SITE, 'OnDemand', POOL_DEFAULTS.idleTimeoutMs],
      ['appA', `${SITE}-appA`, 'AlwaysRunning', 0],
    ],
  )
  assert.deepEqual(
    site.applications.map((app) => [app.alias, app.physicalPath, app.pool]),
    [
      ['/', '/srv/alloc/web/local/root', 'default'],
      ['/app-a', '/srv/alloc/alloc/data/a', 'appA'],
    ],
  )
  assert.deepEqual(site.applications[0]!.virtualDirectories, [
    { alias: '/docs', physicalPath: '/srv/shared/docs' },
  ])
  assert.deepEqual(site.bindings, [
    { protocol: 'http', port: 25001, ipAddress: '127.0.0.1', hostname: 'example.test' },
  ])
})

test('a site without a root application serves the placeholder app at the root from the default pool', () => {
  const site = map({
    applicationPool: [{ name: 'api' }],
    application: [{ path: 'local', alias: 'api', application_pool: 'api' }],
    binding: [{ type: 'http', port: 'http' }],
  })

  assert.deepEqual(
    site.applications.map((app) => [app.alias, app.physicalPath, app.pool]),
    [
      ['/', '/opt/placeholder', 'default'],
      ['/api', '/srv/alloc/web/local', 'api'],
    ],
  )
  assert.deepEqual(
    site.pools.map((pool) => pool.key),
    ['default', 'api'],
  )
})

test('a pool name that makes the full name exceed 64 characters says by how much', () => {
  const config = {
    ...task({
      applicationPool: [{ name: 'abcdefgh' }],
      application: [{ path: 'local', application_pool: 'abcdefgh' }],
      binding: [{ type: 'http', port: 'http' }],
    }),
    name: 'eighteen-chars-abc',
  }
  const settings = parseTaskConfig(config.driverConfig, { ports: config.ports })

  assert.throws(
    () => buildSiteDefinition(settings, config, { placeholderDir: '/opt/placeholder' }),
    (err: unknown) =>
      isDriverError(err, 'ERR_DRIVER_NAME_TOO_LONG') &&
      err.message.includes('6 characters too long'),
  )
})

const ESCAPING_PATHS: [string, Record<string, unknown>, RegExp][] = [
  [
    'an application path',
    {
      application: [{ path: '../../../../escaped-app' }],
      binding: [{ type: 'http', port: 'http' }],
    },
    /"path" in application #1 is "..\/..\/..\/..\/escaped-app", which leads out of the alloc dir/,
  ],
  [
    'a virtual directory path',
    {
      application: [{ path: 'local', virtual_directory: [{ alias: 'etc', path: '../../../etc' }] }],
      binding: [{ type: 'http', port: 'http' }],
    },
    /application #1 > virtual_directory "\/etc"/,
  ],
]

for (const [what, driverConfig, message] of ESCAPING_PATHS) {
  test(`${what} that climbs out of the alloc dir is refused before anything is written`, () => {
    assert.throws(
      () => map(driverConfig),
      (err: unknown) => isDriverError(err, 'ERR_DRIVER_INVALID_VALUE') && message.test(err.message),
    )
  })
}

test('relative paths may reach the rest of the alloc dir, absolute paths are used as given', () => {
  const site = map({
    application: [
      { path: 'local', virtual_directory: [{ alias: 'data', path: '../alloc/data' }] },
      { path: '/opt/shared-app', alias: 'shared' },
    ],
    binding: [{ type: 'http', port: 'http' }],
  })

  assert.equal(site.applications[0].virtualDirectories[0].physicalPath, '/srv/alloc/alloc/data')
  assert.equal(site.applications[1].physicalPath, '/opt/shared-app')
})

for (const name of ['..', '.', 'a/b', '../../x', 'a\\b', 'a\0b']) {
  test(`a task named ${JSON.stringify(name)} is refused: its name is part of every path`, () => {
    const config = {
      ...task({ application: [{ path: 'local' }], binding: [{ type: 'http', port: 'http' }] }),
      name,
    }
    const settings = parseTaskConfig(config.driverConfig, { ports: config.ports })

    assert.throws(
      () => buildSiteDefinition(settings, config, { placeholderDir: '/opt/placeholder' }),
      (err: unknown) =>
        isDriverError(err, 'ERR_DRIVER_INVALID_VALUE') &&
        err.message.includes('cannot be used in a path'),
    )
  })
}
