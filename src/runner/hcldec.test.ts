import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { encodeCtyMsgpack } from './cty-msgpack.js'
import type { HclSpec } from './hcldec.js'
import { decodeHclConfig, HclDecodeError } from './hcldec.js'

const attr = (type: string, extra: Record<string, unknown> = {}): HclSpec => ({
  Attr: { type, ...extra },
})
const namedAttr = (name: string, type: string): HclSpec => ({ Attr: { name, type } })
const literal = (value: string): HclSpec => ({ literal: { value } })
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const str = (text: string): string => hex(encodeCtyMsgpack(text))

test('a block list with a default and absent attributes encodes as the reference example 1', () => {
  const spec: HclSpec = {
    object: {
      attributes: {
        applications: {
          block_list: {
            name: 'application',
            min_items: 1,
            nested: {
              object: {
                attributes: {
                  path: { Attr: { name: 'path', type: 'string', required: true } },
                  alias: { Attr: { name: 'alias', type: 'string' } },
                  enable_preload: { Attr: { name: 'enable_preload', type: 'bool' } },
                },
              },
            },
          },
        },
        permit_iusr: {
          default: { primary: namedAttr('permit_iusr', 'bool'), default: literal('true') },
        },
        target_website: namedAttr('target_website', 'string'),
      },
    },
  }

  const bytes = encodeCtyMsgpack(decodeHclConfig(spec, [{ application: [{ path: 'local' }] }]))

  assert.equal(
    hex(bytes),
    '83' +
      str('applications') +
      '91' +
      '83' +
      str('alias') +
      'c0' +
      str('enable_preload') +
      'c0' +
      str('path') +
      str('local') +
      str('permit_iusr') +
      'c3' +
      str('target_website') +
      'c0',
  )
  assert.equal(bytes.length, 79)
})

test('scalars, lists, maps, an absent block and interpolation encode as the reference example 2', () => {
  const spec: HclSpec = {
    object: {
      attributes: {
        command: attr('string', { required: true }),
        args: attr('list(string)'),
        port: attr('number'),
        ratio: attr('number'),
        retries: attr('number'),
        env: attr('map(string)'),
        logging: { block_value: { nested: { object: { attributes: { level: attr('string') } } } } },
      },
    },
  }
  const config = {
    command: 'app.exe',
    args: ['-v', '${NOMAD_PORT_http}'],
    port: 8080,
    ratio: 0.5,
    retries: -3,
    env: { B: '2', A: '1' },
  }

  const value = decodeHclConfig(spec, config, { variables: { NOMAD_PORT_http: '25123' } })
  const bytes = encodeCtyMsgpack(value)

  assert.equal(bytes.length, 86)
  assert.match(hex(bytes), new RegExp(str('port') + 'cd1f90'))
  assert.match(hex(bytes), new RegExp(str('ratio') + 'cb3fe0000000000000'))
  assert.match(hex(bytes), new RegExp(str('retries') + 'fd'))
  assert.match(
    hex(bytes),
    new RegExp(str('env') + '82' + str('A') + str('1') + str('B') + str('2')),
  )
})

test('the agent config with and without a config block encodes as the reference example 3', () => {
  const spec: HclSpec = {
    object: {
      attributes: {
        enabled: { default: { primary: namedAttr('enabled', 'bool'), default: literal('true') } },
        fingerprint_interval: {
          default: {
            primary: namedAttr('fingerprint_interval', 'string'),
            default: literal('"30s"'),
          },
        },
        allowed_target_websites: attr('list(string)'),
        procdump: {
          block_list: {
            name: 'procdump',
            max_items: 1,
            nested: {
              object: {
                attributes: {
                  binary_path: {
                    default: {
                      primary: namedAttr('binary_path', 'string'),
                      default: literal('"procdump.exe"'),
                    },
                  },
                  accept_eula: {
                    default: {
                      primary: namedAttr('accept_eula', 'bool'),
                      default: literal('false'),
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  }

  const full = encodeCtyMsgpack(
    decodeHclConfig(spec, { enabled: true, procdump: [{ accept_eula: true }] }),
  )
  const empty = encodeCtyMsgpack(decodeHclConfig(spec, {}))

  assert.equal(full.length, 109)
  assert.equal(empty.length, 70)
  assert.ok(hex(empty).endsWith(str('procdump') + '90'))
})

test('fractional numbers that are not exact doubles and huge integers become decimal strings', () => {
  assert.equal(hex(encodeCtyMsgpack(0.1)), 'a3302e31')
  assert.equal(hex(encodeCtyMsgpack(1.5e-7)), str('0.00000015'))
  assert.equal(hex(encodeCtyMsgpack(1e20)), str('100000000000000000000'))
  assert.equal(hex(encodeCtyMsgpack(2 ** 63)), str('9223372036854775808'))
  assert.equal(hex(encodeCtyMsgpack(-129)), 'd1ff7f')
  assert.equal(hex(encodeCtyMsgpack(2 ** 40)), 'cf0000010000000000')
})

test('an unknown key is rejected with its name and the block it is in', () => {
  const spec: HclSpec = {
    object: {
      attributes: {
        application: {
          block_list: { nested: { object: { attributes: { path: attr('string') } } } },
        },
      },
    },
  }

  assert.throws(
    () => decodeHclConfig(spec, { application: [{ path: 'a', pth: 'b' }] }),
    (err: unknown) =>
      err instanceof HclDecodeError && /'pth' in block 'application'/.test(err.message),
  )
})

test('a value that does not convert to the declared type names the argument', () => {
  const spec: HclSpec = { object: { attributes: { port: attr('number') } } }

  assert.equal((decodeHclConfig(spec, { port: '8080' }) as Record<string, unknown>).port, 8080)
  assert.throws(() => decodeHclConfig(spec, { port: 'http' }), /argument 'port'.*expected number/)
})

test('block_attrs, block_map, block_set and array specs decode as hcldec does', () => {
  const spec: HclSpec = {
    object: {
      attributes: {
        labels: { block_attrs: { name: 'labels', type: 'string' } },
        site: {
          block_map: {
            name: 'site',
            labels: ['name'],
            nested: { object: { attributes: { port: attr('number') } } },
          },
        },
        tags: {
          block_set: {
            name: 'tag',
            nested: { object: { attributes: { value: attr('string') } } },
          },
        },
        pair: { array: { values: [namedAttr('a', 'string'), literal('5')] } },
      },
    },
  }
  const config = {
    labels: [{ team: 'web', tier: 1 }],
    site: { main: [{ port: '80' }], admin: [{ port: 81 }] },
    tag: [{ value: 'b' }, { value: 'a' }, { value: 'b' }],
    a: 'x',
  }

  const value = decodeHclConfig(spec, config) as Record<string, unknown>

  assert.deepEqual(value.labels, { team: 'web', tier: '1' })
  assert.deepEqual(value.site, { main: { port: 80 }, admin: { port: 81 } })
  assert.deepEqual(value.tags, [{ value: 'a' }, { value: 'b' }])
  assert.deepEqual(value.pair, ['x', 5])
})

test('collection and object types convert element by element, sets are ordered and unique', () => {
  const spec: HclSpec = {
    object: {
      attributes: {
        ports: attr('list(number)'),
        names: attr('set(string)'),
        limits: attr('map(bool)'),
        point: attr('object({x=number, y=string})'),
        raw: attr('any'),
      },
    },
  }
  const config = {
    ports: ['80', 443],
    names: ['b', 'a', 'b'],
    limits: { on: 'true', off: false },
    point: { x: '1.5', y: 2 },
    raw: { nested: [1, 'two'] },
  }

  const value = decodeHclConfig(spec, config) as Record<string, unknown>

  assert.deepEqual(value.ports, [80, 443])
  assert.deepEqual(value.names, ['a', 'b'])
  assert.deepEqual(value.limits, { on: true, off: false })
  assert.deepEqual(value.point, { x: 1.5, y: '2' })
  assert.deepEqual(value.raw, { nested: [1, 'two'] })
})

test('interpolation replaces task variables, keeps escaped ${ and rejects expressions', () => {
  const spec: HclSpec = {
    object: { attributes: { cmd: attr('string'), list: attr('list(string)') } },
  }
  const variables = { NOMAD_PORT_http: '8080', 'attr.unique.hostname': 'node1' }

  const value = decodeHclConfig(
    spec,
    { cmd: 'run --port=${NOMAD_PORT_http} $${HOME}', list: ['${attr.unique.hostname}'] },
    { variables },
  ) as Record<string, unknown>

  assert.equal(value.cmd, 'run --port=8080 ${HOME}')
  assert.deepEqual(value.list, ['node1'])
  assert.throws(
    () => decodeHclConfig(spec, { cmd: '${NOPE}' }, { variables }),
    /unknown variable 'NOPE'/,
  )
  assert.throws(
    () => decodeHclConfig(spec, { cmd: '${upper(NOMAD_PORT_http)}' }, { variables }),
    /only variable references/,
  )
})

test('required attributes and blocks, block counts and bad specs are errors that say what to change', () => {
  const spec: HclSpec = {
    object: {
      attributes: {
        name: attr('string', { required: true }),
        app: {
          block_list: {
            name: 'app',
            min_items: 1,
            max_items: 2,
            nested: { object: { attributes: { path: attr('string') } } },
          },
        },
        logging: { block_value: { name: 'logging', required: true, nested: { object: {} } } },
      },
    },
  }
  const cases: [unknown, RegExp][] = [
    [{ app: [{}], logging: {} }, /missing required argument 'name' in block 'config'/],
    [{ name: 'x', logging: {} }, /needs at least 1 'app' block/],
    [{ name: 'x', app: [{}, {}, {}], logging: {} }, /at most 2 'app' block/],
    [{ name: 'x', app: [{}] }, /missing required block 'logging'/],
    [{ name: 'x', app: ['str'], logging: {} }, /'app' in block 'config' must be a block/],
  ]

  for (const [config, message] of cases) {
    assert.throws(() => decodeHclConfig(spec, config), { code: 'ERR_RUNNER_HCL_DECODE', message })
  }
  assert.throws(
    () =>
      decodeHclConfig(
        {
          object: {
            attributes: { d: { default: { primary: attr('string'), default: literal('1') } } },
          },
        },
        {},
      ),
    /has no name/,
  )
  assert.throws(
    () => decodeHclConfig({ object: { attributes: { t: attr('lst(string)') } } }, {}),
    /spec type 'lst\(string\)'/,
  )
  assert.throws(
    () => decodeHclConfig({ object: { attributes: { d: literal('30s') } } }, {}),
    /quote strings/,
  )
})
