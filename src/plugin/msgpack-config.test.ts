import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { encode } from '@msgpack/msgpack'
import { decodeMsgpackConfig } from './msgpack-config.js'

test('empty bytes decode to an empty config', () => {
  assert.deepEqual(decodeMsgpackConfig(new Uint8Array(0), 'config'), {})
})

test('64-bit integers become numbers when safe and decimal strings otherwise', () => {
  const bytes = Buffer.from('82a161cf0000010000000000a162cf8000000000000000', 'hex')

  assert.deepEqual(decodeMsgpackConfig(bytes, 'config'), { a: 2 ** 40, b: '9223372036854775808' })
})

test('extension types, binary data, non-maps and garbage are rejected with the path', () => {
  const cases: [Uint8Array, RegExp][] = [
    [Buffer.from('81a178d40000', 'hex'), /config at 'x' holds msgpack extension type 0/],
    [encode({ y: [new Uint8Array([1])] }), /config at 'y\[0\]' holds binary data/],
    [encode([1, 2]), /must encode an object/],
    [Buffer.from([0xc1]), /is not valid msgpack/],
  ]

  for (const [bytes, message] of cases) {
    assert.throws(() => decodeMsgpackConfig(bytes, 'config'), {
      code: 'ERR_PLUGIN_BAD_MSGPACK',
      message,
    })
  }
})
