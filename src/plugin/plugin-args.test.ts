import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { parsePluginArgs } from './plugin-args.js'

test('no args means no Management API and no address of our choosing', () => {
  // The API itself picks loopback when open and every interface with auth.
  assert.deepEqual(parsePluginArgs([]), {
    managementApiPort: null,
    managementApiAddress: null,
    managementApiKey: null,
    managementApiJwtSecret: null,
  })
})

test('both --name=value and --name value forms are read', () => {
  const args = parsePluginArgs([
    '--management-api-port=5004',
    '--management-api-key',
    'k=1',
    '--management-api-jwt-secret=s',
    '--management-api-address=127.0.0.2',
  ])

  assert.deepEqual(args, {
    managementApiPort: 5004,
    managementApiAddress: '127.0.0.2',
    managementApiKey: 'k=1',
    managementApiJwtSecret: 's',
  })
})

test('unknown args, missing values and bad ports are errors that name the arg', () => {
  const cases: [string[], RegExp][] = [
    [['--port=1'], /unknown plugin argument '--port=1'/],
    [['--management-api-key'], /needs a value/],
    [['--management-api-port=http'], /give a port number/],
    [['--management-api-port=70000'], /give a port number/],
  ]

  for (const [argv, message] of cases) {
    assert.throws(() => parsePluginArgs(argv), { code: 'ERR_PLUGIN_USAGE', message })
  }
})
