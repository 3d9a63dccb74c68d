import assert from 'node:assert/strict'
import { test } from 'node:test'
import { POOL_DEFAULTS } from './site-definition.js'
import { validateSiteDefinition } from './validate-definition.js'
import type { SiteDefinition } from './site-definition.js'

function valid(): SiteDefinition {
  return {
    name: 'nomad-a1-web',
    owner: null,
    bindings: [{ protocol: 'http', port: 8080, ipAddress: null, hostname: null }],
    applications: [
      {
        alias: '/',
        physicalPath: '/srv/site',
        pool: 'default',
        enablePreload: false,
        virtualDirectories: [],
        program: null,
      },
    ],
    pools: [{ ...POOL_DEFAULTS, key: 'default', name: 'nomad-a1-web', env: {} }],
    stdoutPath: null,
    stderrPath: null,
  }
}

test('a complete definition passes', () => {
  assert.doesNotThrow(() => validateSiteDefinition(valid()))
})

test('each bad definition is refused with a code and a message naming what to change', () => {
  const cases: [string, (d: SiteDefinition) => void, string, RegExp][] = [
    ['bad name', (d) => (d.name = '../x'), 'ERR_WEBHOST_INVALID_DEFINITION', /site name "\.\.\/x"/],
    [
      'no binding',
      (d) => (d.bindings = []),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /at least one binding/,
    ],
    [
      'https',
      (d) => (d.bindings[0]!.protocol = 'https'),
      'ERR_WEBHOST_HTTPS_UNSUPPORTED',
      /use type "http"/,
    ],
    [
      'bad port',
      (d) => (d.bindings[0]!.port = 70000),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /port 70000/,
    ],
    ['no pool', (d) => (d.pools = []), 'ERR_WEBHOST_INVALID_DEFINITION', /application pool/],
    [
      'pool twice',
      (d) => d.pools.push(d.pools[0]!),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /defined twice/,
    ],
    [
      'alias slash',
      (d) => (d.applications[0]!.alias = '/a/'),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /not end with/,
    ],
    [
      'same alias',
      (d) => d.applications.push({ ...d.applications[0]!, alias: '/' }),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /two applications have the alias "\/"/,
    ],
    [
      'undefined pool',
      (d) => (d.applications[0]!.pool = 'nope'),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /undefined pool "nope"/,
    ],
    [
      'relative path',
      (d) => (d.applications[0]!.physicalPath = 'site'),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /absolute/,
    ],
    [
      'root vdir',
      (d) => d.applications[0]!.virtualDirectories.push({ alias: '/', physicalPath: '/srv/x' }),
      'ERR_WEBHOST_INVALID_DEFINITION',
      /virtual directory alias "\/"/,
    ],
  ]
  for (const [name, breakIt, code, message] of cases) {
    const def = valid()
    breakIt(def)
    assert.throws(() => validateSiteDefinition(def), { code, message }, name)
  }
})
