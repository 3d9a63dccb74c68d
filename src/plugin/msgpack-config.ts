/**
 * Decodes the cty msgpack a Nomad client sends (`msgpack_config`,
 * `msgpack_driver_config`) into plain values for the driver's validation
 * (reference 4.3): every integer width, float64, decimal strings left as
 * strings (the driver converts where a number is expected), nil as null.
 * Extension types (unknown values, cty's dynamic wrapper) and binary
 * strings cannot come from Nomad's path and are rejected.
 *
 * @module
 */
import { decode, ExtData } from '@msgpack/msgpack'
import { PluginError } from './errors.js'

/** Decodes msgpack config bytes; empty bytes mean "no config" (an empty object). */
export function decodeMsgpackConfig(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length === 0) return {}
  let value: unknown
  try {
    value = decode(bytes, { useBigInt64: true })
  } catch (err) {
    throw new PluginError(
      'ERR_PLUGIN_BAD_MSGPACK',
      `${what} is not valid msgpack (${err instanceof Error ? err.message : String(err)}); ` +
        'send it encoded as a Nomad client does (cty msgpack)',
      { cause: err },
    )
  }
  const plain = toPlain(value, what, '')
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    throw new PluginError('ERR_PLUGIN_BAD_MSGPACK', `${what} must encode an object (a msgpack map)`)
  }
  return plain as Record<string, unknown>
}

function toPlain(value: unknown, what: string, path: string): unknown {
  const where = path === '' ? what : `${what} at '${path}'`
  if (typeof value === 'bigint') {
    const asNumber = Number(value)
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString()
  }
  if (value instanceof ExtData) {
    throw new PluginError(
      'ERR_PLUGIN_BAD_MSGPACK',
      `${where} holds msgpack extension type ${value.type}; unknown or dynamic cty values are not accepted`,
    )
  }
  if (value instanceof Uint8Array) {
    throw new PluginError('ERR_PLUGIN_BAD_MSGPACK', `${where} holds binary data; cty sends strings`)
  }
  if (Array.isArray(value)) return value.map((item, i) => toPlain(item, what, `${path}[${i}]`))
  if (value instanceof Map) {
    throw new PluginError('ERR_PLUGIN_BAD_MSGPACK', `${where} has a map with non-string keys`)
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        toPlain(item, what, path === '' ? key : `${path}.${key}`),
      ]),
    )
  }
  return value
}
