import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseDriverConfig, parseTaskConfig } from './config.js'
import { isDriverError, type DriverErrorCode } from './errors.js'
import type { PortMapping } from './types.js'

const PORTS: PortMapping[] = [{ label: 'http', value: 24001, to: 0 }]

function config(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    applications: [{ path: 'local' }],
    bindings: [{ type: 'http', port: 'http' }],
    ...overrides,
  }
}

test('a minimal config gives one root application on the default pool', () => {
  const settings = parseTaskConfig(config(), { ports: PORTS })

  assert.deepEqual(settings.applications, [
    {
      alias: '/',
      path: 'local',
      pool: 'default',
      enablePreload: false,
      virtualDirectories: [],
      program: null,
    },
  ])
  assert.deepEqual(settings.bindings, [
    { protocol: 'http', port: 24001, portLabel: 'http', hostname: null, ipAddress: null },
  ])
  assert.deepEqual(settings.pools, [])
  assert.deepEqual(settings.ignoredOptions, [])
})

test('hcldec output with every key present and null parses like the sparse form', () => {
  const decoded = {
    target_website: null,
    applicationPools: [],
    application_pools: [],
    permit_iusr: true,
    applications: [
      {
        path: 'local',
        alias: null,
        application_pool: 'default',
        enable_preload: null,
        service_auto_start_enabled: null,
        service_auto_start_provider: null,
        virtual_directories: [],
        extensions: [],
      },
    ],
    bindings: [
      {
        type: 'http',
        port: 'http',
        hostname: null,
        require_sni: null,
        ip_address: null,
        certificates: [],
      },
    ],
  }

  assert.deepEqual(
    parseTaskConfig(decoded, { ports: PORTS }),
    parseTaskConfig(config(), { ports: PORTS }),
  )
})

test('pool settings are decoded: durations in both forms, decimal-string numbers, enum spelling', () => {
  const settings = parseTaskConfig(
    config({
      applicationPool: [
        {
          start_mode: 'alwaysrunning',
          idle_timeout: '00:05:00',
          periodic_restart: '2h',
          queue_length: '500',
          max_processes: 2,
          service_unavailable_response: 'TcpLevel',
          start_time_limit: '30s',
          shutdown_time_limit: '00:00:10',
          disable_overlapped_recycle: true,
        },
      ],
    }),
    { ports: PORTS },
  )

  assert.deepEqual(settings.pools, [
    {
      name: 'default',
      startMode: 'AlwaysRunning',
      idleTimeoutMs: 300_000,
      disableOverlappedRecycle: true,
      periodicRestartMs: 7_200_000,
      serviceUnavailableResponse: 'TcpLevel',
      queueLength: 500,
      maxProcesses: 2,
      startTimeLimitMs: 30_000,
      shutdownTimeLimitMs: 10_000,
    },
  ])
})

test('applicationPool and application_pool blocks are both accepted and merged', () => {
  const settings = parseTaskConfig(
    config({
      applicationPools: [{ name: 'a' }],
      application_pools: [{ name: 'b' }],
      applications: [
        { path: 'local/a', alias: 'a', application_pool: 'a' },
        { path: 'local/b', alias: '/b/', application_pool: 'b' },
      ],
    }),
    { ports: PORTS },
  )

  assert.deepEqual(
    settings.pools.map((pool) => pool.name),
    ['a', 'b'],
  )
  assert.deepEqual(
    settings.applications.map((app) => [app.alias, app.pool]),
    [
      ['/a', 'a'],
      ['/b', 'b'],
    ],
  )
})

test('windows-only options are accepted and listed once each', () => {
  const settings = parseTaskConfig(
    config({
      permit_iusr: false,
      applicationPools: [
        { name: 'default', managed_runtime_version: 'None', enable_32bit_app_on_win64: true },
        { name: 'b', managed_runtime_version: 'v4.0', extension: [{ name: 'x', value: 'y' }] },
      ],
    }),
    { ports: PORTS },
  )

  assert.deepEqual(settings.ignoredOptions, [
    'applicationPool.managed_runtime_version',
    'applicationPool.enable_32bit_app_on_win64',
    'extension',
    'permit_iusr',
  ])
})

test('a static port number is accepted in place of a label', () => {
  const settings = parseTaskConfig(
    config({ bindings: [{ type: 'http', port: 8080, hostname: 'example.test' }] }),
    {
      ports: PORTS,
    },
  )

  assert.deepEqual(settings.bindings[0], {
    protocol: 'http',
    port: 8080,
    portLabel: null,
    hostname: 'example.test',
    ipAddress: null,
  })
})

const INVALID: {
  title: string
  input: Record<string, unknown>
  code: DriverErrorCode
  mentions: string[]
}[] = [
  {
    title: 'a missing application path',
    input: config({ applications: [{ alias: 'x' }] }),
    code: 'ERR_DRIVER_MISSING_ATTRIBUTE',
    mentions: ['"path"', 'application #1'],
  },
  {
    title: 'no application block',
    input: config({ applications: [] }),
    code: 'ERR_DRIVER_BLOCK_COUNT',
    mentions: ['"application"', 'at least 1'],
  },
  {
    title: 'a pool name over 8 characters',
    input: config({ applicationPools: [{ name: 'muchtoolong' }] }),
    code: 'ERR_DRIVER_POOL_NAME_TOO_LONG',
    mentions: ['"muchtoolong"', 'applicationPool #1', '3 characters too long'],
  },
  {
    title: 'an application referring to an undefined pool',
    input: config({ applications: [{ path: 'local', application_pool: 'ghost' }] }),
    code: 'ERR_DRIVER_UNDEFINED_POOL',
    mentions: ['"ghost"', 'application #1'],
  },
  {
    title: 'two pools with the same name',
    input: config({ applicationPools: [{ name: 'a' }, { name: 'A' }] }),
    code: 'ERR_DRIVER_DUPLICATE_POOL',
    mentions: ['"A"'],
  },
  {
    title: 'a binding to a port label the alloc does not have',
    input: config({ bindings: [{ type: 'http', port: 'admin' }] }),
    code: 'ERR_DRIVER_PORT_LABEL_NOT_FOUND',
    mentions: ['"admin"', 'binding #1', 'labels: http'],
  },
  {
    title: 'two applications with the same alias',
    input: config({
      applications: [
        { path: 'a', alias: 'app' },
        { path: 'b', alias: '/APP/' },
      ],
    }),
    code: 'ERR_DRIVER_DUPLICATE_ALIAS',
    mentions: ['application #2', 'application #1', '"/APP"'],
  },
  {
    title: 'two virtual directories with the same alias',
    input: config({
      applications: [
        {
          path: 'a',
          virtual_directory: [
            { alias: 'docs', path: 'x' },
            { alias: '/docs', path: 'y' },
          ],
        },
      ],
    }),
    code: 'ERR_DRIVER_DUPLICATE_ALIAS',
    mentions: ['virtual_directory #2'],
  },
  {
    title: 'an invalid duration',
    input: config({ applicationPools: [{ idle_timeout: '20 minutes' }] }),
    code: 'ERR_DRIVER_INVALID_DURATION',
    mentions: ['"idle_timeout"', 'applicationPool #1', '"20 minutes"'],
  },
  {
    title: 'an https binding',
    input: config({ bindings: [{ type: 'https', port: 'http' }] }),
    code: 'ERR_DRIVER_HTTPS_UNSUPPORTED',
    mentions: ['binding #1', 'https'],
  },
  {
    title: 'an unknown binding type',
    input: config({ bindings: [{ type: 'ftp', port: 'http' }] }),
    code: 'ERR_DRIVER_INVALID_VALUE',
    mentions: ['"type"', 'binding #1', 'http, https'],
  },
  {
    title: 'an unknown key in a block',
    input: config({ applications: [{ path: 'local', aliass: 'x' }] }),
    code: 'ERR_DRIVER_UNKNOWN_KEY',
    mentions: ['"aliass"', 'application #1'],
  },
  {
    title: 'an unknown top-level key',
    input: config({ website: 'x' }),
    code: 'ERR_DRIVER_UNKNOWN_KEY',
    mentions: ['"website"', 'config'],
  },
  {
    title: 'a wrong attribute type',
    input: config({ applications: [{ path: 'local', enable_preload: 'yes' }] }),
    code: 'ERR_DRIVER_INVALID_VALUE',
    mentions: ['"enable_preload"', 'bool'],
  },
  {
    title: 'a queue length that is not a whole number',
    input: config({ applicationPools: [{ queue_length: '0.5' }] }),
    code: 'ERR_DRIVER_INVALID_VALUE',
    mentions: ['"queue_length"'],
  },
  {
    title: 'a program block with an empty command',
    input: config({ applications: [{ path: 'local', programs: [{ command: ' ' }] }] }),
    code: 'ERR_DRIVER_MISSING_ATTRIBUTE',
    mentions: ['"command"', 'application #1 > program'],
  },
  {
    title: 'a program port_env that is no variable name',
    input: config({
      applications: [{ path: 'local', programs: [{ command: 'node', port_env: 'MY PORT' }] }],
    }),
    code: 'ERR_DRIVER_INVALID_VALUE',
    mentions: ['"port_env"', 'MY PORT', 'PORT'],
  },
  {
    title: 'two program blocks in one application',
    input: config({
      applications: [{ path: 'local', programs: [{ command: 'a' }, { command: 'b' }] }],
    }),
    code: 'ERR_DRIVER_BLOCK_COUNT',
    mentions: ['program'],
  },
  {
    title: 'no binding at all',
    input: config({ bindings: [] }),
    code: 'ERR_DRIVER_BLOCK_COUNT',
    mentions: ['binding'],
  },
  {
    title: 'a target website',
    input: config({ target_website: 'Default Web Site' }),
    code: 'ERR_DRIVER_UNSUPPORTED_OPTION',
    mentions: ['target_website'],
  },
  {
    title: 'an identity the agent does not allow',
    input: config({ applicationPools: [{ identity: 'LocalSystem' }] }),
    code: 'ERR_DRIVER_IDENTITY_NOT_ALLOWED',
    mentions: ['"LocalSystem"', 'allowed_apppool_identities'],
  },
]

for (const { title, input, code, mentions } of INVALID) {
  test(`a task config with ${title} is refused with ${code}`, () => {
    assert.throws(
      () => parseTaskConfig(input, { ports: PORTS }),
      (err: unknown) => {
        assert.ok(isDriverError(err), `expected a DriverError, got ${String(err)}`)
        assert.equal(err.code, code, err.message)
        for (const text of mentions)
          assert.ok(err.message.includes(text), `"${err.message}" lacks ${text}`)
        assert.match(err.message, /^[a-z"]/)
        return true
      },
    )
  })
}

test('an empty agent config gets every default', () => {
  assert.deepEqual(parseDriverConfig({}), {
    isEnabled: true,
    fingerprintIntervalMs: 30_000,
    directorySecurity: true,
    allowedTargetWebsites: [],
    allowedAppPoolIdentities: ['ApplicationPoolIdentity'],
    allowedAppPoolUsers: [],
    placeholderAppPath: null,
    procdump: { binaryPath: '/usr/bin/procdump', acceptEula: false },
    stateDir: '/var/lib/nomad-iis',
    chromiumPath: '/usr/bin/chromium',
    managementApi: {},
  })
})

test('the management_api block sets the Management API limits it names', () => {
  const config = parseDriverConfig({
    management_api: [{ max_body_bytes: '1048576', max_zip_entries: 10, screenshot_timeout: '5s' }],
  })

  assert.deepEqual(config.managementApi, {
    maxBodyBytes: 1_048_576,
    maxZipEntries: 10,
    screenshotTimeoutMs: 5000,
  })
})

test('an agent config with values set is decoded', () => {
  const config = parseDriverConfig({
    enabled: false,
    fingerprint_interval: '00:00:15',
    procdump: [{ binary_path: '/opt/procdump', accept_eula: true }],
    state_dir: '/tmp/state',
    allowed_apppool_identities: ['ApplicationPoolIdentity', 'NetworkService'],
  })

  assert.equal(config.isEnabled, false)
  assert.equal(config.fingerprintIntervalMs, 15_000)
  assert.deepEqual(config.procdump, { binaryPath: '/opt/procdump', acceptEula: true })
  assert.equal(config.stateDir, '/tmp/state')
  assert.deepEqual(config.allowedAppPoolIdentities, ['ApplicationPoolIdentity', 'NetworkService'])
})

const INVALID_AGENT: [string, Record<string, unknown>, DriverErrorCode][] = [
  ['a relative state_dir', { state_dir: 'state' }, 'ERR_DRIVER_INVALID_VALUE'],
  ['a bad fingerprint_interval', { fingerprint_interval: 'soon' }, 'ERR_DRIVER_INVALID_DURATION'],
  ['two procdump blocks', { procdump: [{}, {}] }, 'ERR_DRIVER_BLOCK_COUNT'],
  ['an unknown key', { udp_logger_port: 1 }, 'ERR_DRIVER_UNKNOWN_KEY'],
  ['a zero upload limit', { management_api: [{ max_body_bytes: 0 }] }, 'ERR_DRIVER_INVALID_VALUE'],
]

for (const [title, input, code] of INVALID_AGENT) {
  test(`an agent config with ${title} is refused with ${code}`, () => {
    assert.throws(
      () => parseDriverConfig(input),
      (err: unknown) => isDriverError(err, code),
    )
  })
}
