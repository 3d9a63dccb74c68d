import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DRIVER_CONFIG_SPEC, TASK_CONFIG_SPEC } from './config.js'
import { toHclLiteral, type HclSpec } from './hcl-spec.js'

function attributes(spec: HclSpec): Record<string, HclSpec> {
  assert.ok('object' in spec)
  return spec.object.attributes
}

function nested(spec: HclSpec | undefined): Record<string, HclSpec> {
  assert.ok(spec && 'block_list' in spec)
  return attributes(spec.block_list.nested)
}

test('the task spec holds the IIS driver top-level keys, block lists under their output names', () => {
  const top = attributes(TASK_CONFIG_SPEC)

  assert.deepEqual(Object.keys(top), [
    'target_website',
    'applicationPools',
    'application_pools',
    'applications',
    'permit_iusr',
    'bindings',
  ])
  assert.deepEqual(top.target_website, {
    Attr: { name: 'target_website', type: 'string', required: false },
  })
  assert.deepEqual(top.permit_iusr, {
    default: {
      primary: { Attr: { name: 'permit_iusr', type: 'bool', required: false } },
      default: { literal: { value: 'true' } },
    },
  })
  const applications = top.applications
  assert.ok(applications && 'block_list' in applications)
  assert.equal(applications.block_list.name, 'application')
  assert.equal(applications.block_list.min_items, 1)
  assert.equal(applications.block_list.max_items, 0)
})

test('the application block requires path and nests virtual_directory blocks', () => {
  const application = nested(attributes(TASK_CONFIG_SPEC).applications)

  assert.deepEqual(application.path, { Attr: { name: 'path', type: 'string', required: true } })
  assert.deepEqual(application.application_pool, {
    default: {
      primary: { Attr: { name: 'application_pool', type: 'string', required: false } },
      default: { literal: { value: '"default"' } },
    },
  })
  const vdir = nested(application.virtual_directories)
  assert.deepEqual(vdir.alias, { Attr: { name: 'alias', type: 'string', required: true } })
})

test('the binding block nests at most one certificate block', () => {
  const binding = nested(attributes(TASK_CONFIG_SPEC).bindings)
  const certificates = binding.certificates

  assert.deepEqual(binding.port, { Attr: { name: 'port', type: 'string', required: true } })
  assert.ok(certificates && 'block_list' in certificates)
  assert.equal(certificates.block_list.name, 'certificate')
  assert.equal(certificates.block_list.max_items, 1)
})

test('the agent spec gives the procdump block and string defaults as quoted HCL literals', () => {
  const top = attributes(DRIVER_CONFIG_SPEC)
  const procdump = nested(top.procdumps)

  assert.deepEqual(top.fingerprint_interval, {
    default: {
      primary: { Attr: { name: 'fingerprint_interval', type: 'string', required: false } },
      default: { literal: { value: '"30s"' } },
    },
  })
  assert.deepEqual(top.allowed_target_websites, {
    Attr: { name: 'allowed_target_websites', type: 'list(string)', required: false },
  })
  assert.deepEqual(procdump.binary_path, {
    default: {
      primary: { Attr: { name: 'binary_path', type: 'string', required: false } },
      default: { literal: { value: '"/usr/bin/procdump"' } },
    },
  })
})

test('every Attr in the specs carries a name and a type', () => {
  const seen: HclSpec[] = []
  const walk = (spec: HclSpec): void => {
    seen.push(spec)
    if ('object' in spec) Object.values(spec.object.attributes).forEach(walk)
    if ('block_list' in spec) walk(spec.block_list.nested)
    if ('default' in spec) [spec.default.primary, spec.default.default].forEach(walk)
  }
  walk(TASK_CONFIG_SPEC)
  walk(DRIVER_CONFIG_SPEC)

  const attrs = seen.flatMap((spec) => ('Attr' in spec ? [spec.Attr] : []))
  assert.ok(attrs.length > 40)
  for (const attr of attrs) {
    assert.ok(attr.name.length > 0)
    assert.ok(attr.type.length > 0)
  }
})

const LITERALS: [string | number | boolean, string][] = [
  ['30s', '"30s"'],
  ['C:\\inetpub', '"C:\\\\inetpub"'],
  ['say "hi"', '"say \\"hi\\""'],
  ['${x}', '"$${x}"'],
  [true, 'true'],
  [5, '5'],
]

for (const [value, expected] of LITERALS) {
  test(`the HCL literal of ${JSON.stringify(value)} is ${expected}`, () => {
    assert.equal(toHclLiteral(value), expected)
  })
}
