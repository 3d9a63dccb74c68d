/**
 * The schemas the plugin hands to Nomad, SetConfig, Fingerprint, and the
 * msgpack path of task configs (reference 3.2, 4, pitfalls 3, 8, 9, 17, 18).
 * The expected specs below are written by hand on purpose: a schema change
 * must show up as a change here.
 */
import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { status } from '@grpc/grpc-js'
import { decodeMsgpackConfig } from '../../src/plugin/msgpack-config.js'
import { encodeCtyMsgpack } from '../../src/runner/cty-msgpack.js'
import { decodeHclConfig } from '../../src/runner/hcldec.js'
import type { Message } from '../../src/runner/plugin-client.js'
import { httpGet, portOf, startHarness, take } from './plugin-harness.js'

const attr = (name: string, type: string, required = false) => ({
  Attr: { name, type, required },
  block: 'Attr',
})
const withDefault = (primary: object, literal: string) => ({
  default: { primary, default: { literal: { value: literal }, block: 'literal' } },
  block: 'default',
})
const object = (attributes: Record<string, object>) => ({ object: { attributes }, block: 'object' })
const blockList = (name: string, min: number, max: number, nested: object) => ({
  block_list: { name, min_items: min, max_items: max, nested },
  block: 'block_list',
})

test('ConfigSchema matches the hand-written spec for enabled, fingerprint_interval and procdump', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())

  const spec = (await harness.client.configSchema()) as Message

  const attributes = spec.object.attributes as Record<string, object>
  assert.deepEqual(attributes.enabled, withDefault(attr('enabled', 'bool'), 'true'))
  assert.deepEqual(
    attributes.fingerprint_interval,
    withDefault(attr('fingerprint_interval', 'string'), '"30s"'),
  )
  assert.deepEqual(
    attributes.procdumps,
    blockList(
      'procdump',
      0,
      1,
      object({
        binary_path: withDefault(attr('binary_path', 'string'), '"/usr/bin/procdump"'),
        accept_eula: withDefault(attr('accept_eula', 'bool'), 'false'),
      }),
    ),
  )
})

test('TaskConfigSchema matches the hand-written spec for the binding and virtual_directory blocks', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())

  const spec = (await harness.client.taskConfigSchema()) as Message

  const attributes = spec.object.attributes as Record<string, Message>
  const extension = blockList(
    'extension',
    0,
    0,
    object({ name: attr('name', 'string', true), value: attr('value', 'string', true) }),
  )
  assert.deepEqual(
    attributes.bindings,
    blockList(
      'binding',
      0,
      0,
      object({
        type: attr('type', 'string', true),
        port: attr('port', 'string', true),
        hostname: attr('hostname', 'string'),
        require_sni: attr('require_sni', 'bool'),
        ip_address: attr('ip_address', 'string'),
        certificates: blockList(
          'certificate',
          0,
          1,
          object({
            thumbprint: attr('thumbprint', 'string'),
            pfx_file: attr('pfx_file', 'string'),
            password: attr('password', 'string'),
            cert_file: attr('cert_file', 'string'),
            key_file: attr('key_file', 'string'),
            use_self_signed: attr('use_self_signed', 'bool'),
          }),
        ),
      }),
    ),
  )
  const application = attributes.applications.block_list.nested.object.attributes
  assert.deepEqual(
    application.virtual_directories,
    blockList(
      'virtual_directory',
      0,
      0,
      object({
        alias: attr('alias', 'string', true),
        path: attr('path', 'string', true),
        extensions: extension,
      }),
    ),
  )
  assert.deepEqual(attributes.permit_iusr, withDefault(attr('permit_iusr', 'bool'), 'true'))
})

test('every Attr in both specs carries an explicit name and type (no implied names under Default)', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const specs = [await harness.client.configSchema(), await harness.client.taskConfigSchema()]
  const attrs: Message[] = []
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return
    const record = node as Message
    if (record.Attr) attrs.push(record.Attr as Message)
    for (const value of Object.values(record)) walk(value)
  }

  specs.forEach(walk)

  assert.ok(attrs.length > 30)
  for (const a of attrs) {
    assert.notEqual(a.name, '', JSON.stringify(a))
    assert.notEqual(a.type, '', JSON.stringify(a))
  }
})

test('SetConfig can be repeated without nomad_config, as the agent does when validating', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const spec = await harness.client.configSchema()
  const bytes = encodeCtyMsgpack(decodeHclConfig(spec!, { state_dir: harness.stateDir }))

  await harness.client.setConfig(bytes)
  await harness.client.setConfig(bytes)
  const { messages } = await take(harness.client.fingerprint(), 1)

  assert.equal(messages[0].health, 'HEALTHY', messages[0].health_description as string)
})

test('an invalid driver config fails SetConfig with the reason and Fingerprint reports unhealthy', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const spec = await harness.client.configSchema()
  const bytes = encodeCtyMsgpack(
    decodeHclConfig(spec!, { state_dir: 'relative/dir', fingerprint_interval: '1s' }),
  )

  const set = harness.client.setConfig(bytes, { driver: {} })
  await assert.rejects(
    set,
    (err: { code?: number; details?: string }) =>
      err.code === status.INVALID_ARGUMENT && /state_dir/.test(err.details ?? ''),
  )
  const { messages } = await take(harness.client.fingerprint(), 1)

  assert.equal(messages[0].health, 'UNHEALTHY')
  assert.match(messages[0].health_description as string, /state_dir/)
})

test('Fingerprint answers at once, then every fingerprint_interval, with stable attributes and no end', async (t) => {
  const harness = await startHarness({ fingerprint_interval: '1s' })
  t.after(() => harness.cleanup())

  const { messages, didEnd } = await take(harness.client.fingerprint(), 3)

  assert.equal(didEnd, false)
  for (const message of messages) {
    assert.equal(message.health, 'HEALTHY', message.health_description as string)
    assert.deepEqual(message.attributes, messages[0].attributes)
  }
  const attributes = messages[0].attributes as Record<string, Message>
  assert.match(attributes['driver.iis.version'].string_val as string, /^\d+\.\d+\.\d+/)
})

test('a disabled driver fingerprints as undetected', async (t) => {
  const harness = await startHarness({ enabled: false })
  t.after(() => harness.cleanup())

  const { messages } = await take(harness.client.fingerprint(), 1)

  assert.equal(messages[0].health, 'UNDETECTED')
})

const EVERY_TYPE_CONFIG = {
  target_website: null,
  application_pool: [
    {
      name: 'api',
      start_mode: 'AlwaysRunning',
      idle_timeout: '10m',
      queue_length: 500,
      disable_overlapped_recycle: true,
      managed_runtime_version: 'None',
      extension: [{ name: 'ignored', value: 'x' }],
    },
  ],
  applicationPool: [{ name: 'default', queue_length: '1000', periodic_restart: '1h30m' }],
  application: [
    { path: 'local', virtual_directory: [{ alias: 'assets', path: 'local' }] },
    { path: 'local', alias: 'api', application_pool: 'api', enable_preload: 'true' },
  ],
  binding: [{ type: 'http', port: 'http', hostname: '', ip_address: '127.0.0.1' }],
  permit_iusr: false,
}

test('msgpack round trips keep every block and attribute type of the task config', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const spec = await harness.client.taskConfigSchema()

  const decoded = decodeHclConfig(spec, EVERY_TYPE_CONFIG) as Message
  const roundTrip = decodeMsgpackConfig(encodeCtyMsgpack(decoded), 'test config')

  assert.deepEqual(roundTrip, decoded)
  assert.equal(roundTrip.target_website, null)
  assert.equal(roundTrip.permit_iusr, false)
  const pools = roundTrip.application_pools as Message[]
  assert.equal(pools[0].queue_length, 500)
  assert.equal(pools[0].idle_timeout, '10m')
  assert.equal(pools[0].periodic_restart, null)
  assert.deepEqual(pools[0].extensions, [{ name: 'ignored', value: 'x' }])
  assert.equal((roundTrip.applicationPools as Message[])[0].queue_length, 1000)
  const apps = roundTrip.applications as Message[]
  assert.equal(apps[1].enable_preload, true)
  assert.equal(apps[0].enable_preload, null)
  assert.equal(apps[0].application_pool, 'default')
  assert.deepEqual(apps[1].virtual_directories, [])
  assert.deepEqual((roundTrip.bindings as Message[])[0].certificates, [])
})

test('a task using every block type starts through the wire and warns about Windows-only options', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const events: Message[] = []
  const stream = harness.client.taskEvents()
  stream.on('data', (event: Message) => events.push(event))
  stream.on('error', () => undefined)
  t.after(() => stream.cancel())
  await harness.client.pluginInfo()
  const task = await harness.newTask(EVERY_TYPE_CONFIG)

  const response = await harness.client.startTask(task)
  harness.track(response.handle as Message)
  const root = await httpGet(portOf(task), '/')
  const api = await httpGet(portOf(task), '/api/')

  assert.equal(root.status, 200)
  assert.equal(api.status, 200)
  assert.ok(events.some((e) => /managed_runtime_version|windows/i.test(e.message as string)))
})

test('numbers arrive in any integer width and as decimal strings, and decode back', () => {
  const values = { a: 1, b: 300, c: 70000, d: 2 ** 40, e: -5, f: -200, g: 0.5, h: 0.1, i: 1e20 }

  const decoded = decodeMsgpackConfig(encodeCtyMsgpack(values), 'numbers')

  assert.deepEqual(decoded, { ...values, h: '0.1', i: '100000000000000000000' })
})
