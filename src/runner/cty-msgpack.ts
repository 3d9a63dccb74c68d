/**
 * Encodes a decoded task or plugin config into the bytes a Nomad client
 * sends as `msgpack_driver_config` / `msgpack_config`: go-cty's msgpack
 * encoding of the value hcldec produced (reference section 4.3).
 *
 * Exported API (the runner codes against it):
 * - `encodeCtyMsgpack(value: CtyValue): Uint8Array`
 *   - `null` / `undefined` -> nil (`c0`), whatever the declared type
 *   - booleans -> `c2`/`c3`; strings -> the shortest str header, UTF-8
 *   - integral numbers within int64 -> the smallest integer form;
 *     `bigint` is accepted for exact large integers
 *   - fractional numbers exactly representable as float64 -> float64 `cb`;
 *     any other fractional number, and integers beyond int64 -> a plain
 *     decimal string (`"0.1"`, `"0.00000015"`, `"100000000000000000000"`)
 *   - infinities -> float64; NaN -> error (cty has no NaN)
 *   - arrays (lists, sets, tuples) -> msgpack arrays, order kept: hcldec.ts
 *     already deduplicates and orders set elements as cty does
 *   - plain objects (cty objects and maps) -> msgpack maps, keys sorted
 *     byte-wise as Go's sort.Strings does
 * - `CtyValue`: the value type above.
 * - `CtyEncodeError`: thrown for values cty cannot hold (NaN, functions,
 *   symbols, class instances other than Uint8Array-free plain data).
 *
 * Numbers arrive as JavaScript doubles (the job file went through JSON), so
 * the decimal a user wrote is recovered as the shortest round-trip text of
 * the double; digits beyond double precision are lost before we see them.
 *
 * @module
 */

export type CtyValue =
  null | undefined | boolean | number | bigint | string | CtyValue[] | { [key: string]: CtyValue }

/** A value cty's msgpack encoding cannot represent. */
export class CtyEncodeError extends Error {
  readonly code = 'ERR_RUNNER_CTY_ENCODE'
}

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** Encodes a value the way go-cty's msgpack.Marshal does. */
export function encodeCtyMsgpack(value: CtyValue): Uint8Array {
  const out = new ByteWriter()
  writeValue(out, value, '')
  return out.bytes()
}

function writeValue(out: ByteWriter, value: CtyValue, path: string): void {
  if (value === null || value === undefined) {
    out.byte(0xc0)
  } else if (typeof value === 'boolean') {
    out.byte(value ? 0xc3 : 0xc2)
  } else if (typeof value === 'string') {
    writeString(out, value)
  } else if (typeof value === 'bigint') {
    writeBigInt(out, value)
  } else if (typeof value === 'number') {
    writeNumber(out, value, path)
  } else if (Array.isArray(value)) {
    writeArray(out, value, path)
  } else if (isPlainObject(value)) {
    writeMap(out, value, path)
  } else {
    throw new CtyEncodeError(`value at '${path || '.'}' is not a cty value; use plain data`)
  }
}

function isPlainObject(value: unknown): value is { [key: string]: CtyValue } {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function writeNumber(out: ByteWriter, value: number, path: string): void {
  if (Number.isNaN(value)) throw new CtyEncodeError(`number at '${path || '.'}' is NaN`)
  if (!Number.isFinite(value)) {
    writeFloat64(out, value)
  } else if (Number.isInteger(value)) {
    writeBigInt(out, BigInt(value))
  } else {
    const decimal = plainDecimal(value)
    if (decimal === exactDecimal(value)) writeFloat64(out, value)
    else writeString(out, decimal)
  }
}

function writeBigInt(out: ByteWriter, value: bigint): void {
  if (value < INT64_MIN || value > INT64_MAX) writeString(out, value.toString())
  else if (value >= 0n) writeUnsigned(out, value)
  else if (value >= -32n) out.byte(0x100 + Number(value))
  else if (value >= -128n) out.head(0xd0, Number(value), 1, true)
  else if (value >= -32768n) out.head(0xd1, Number(value), 2, true)
  else if (value >= -2147483648n) out.head(0xd2, Number(value), 4, true)
  else out.head64(0xd3, value)
}

function writeUnsigned(out: ByteWriter, value: bigint): void {
  if (value <= 127n) out.byte(Number(value))
  else if (value <= 0xffn) out.head(0xcc, Number(value), 1)
  else if (value <= 0xffffn) out.head(0xcd, Number(value), 2)
  else if (value <= 0xffffffffn) out.head(0xce, Number(value), 4)
  else out.head64(0xcf, value)
}

function writeFloat64(out: ByteWriter, value: number): void {
  const buf = Buffer.alloc(9)
  buf[0] = 0xcb
  buf.writeDoubleBE(value, 1)
  out.raw(buf)
}

function writeString(out: ByteWriter, value: string): void {
  const bytes = Buffer.from(value, 'utf8')
  const n = bytes.length
  if (n < 32) out.byte(0xa0 + n)
  else if (n <= 0xff) out.head(0xd9, n, 1)
  else if (n <= 0xffff) out.head(0xda, n, 2)
  else out.head(0xdb, n, 4)
  out.raw(bytes)
}

function writeArray(out: ByteWriter, value: CtyValue[], path: string): void {
  const n = value.length
  if (n < 16) out.byte(0x90 + n)
  else if (n <= 0xffff) out.head(0xdc, n, 2)
  else out.head(0xdd, n, 4)
  value.forEach((item, i) => writeValue(out, item, `${path}[${i}]`))
}

function writeMap(out: ByteWriter, value: { [key: string]: CtyValue }, path: string): void {
  const keys = Object.keys(value).sort(compareBytewise)
  const n = keys.length
  if (n < 16) out.byte(0x80 + n)
  else if (n <= 0xffff) out.head(0xde, n, 2)
  else out.head(0xdf, n, 4)
  for (const key of keys) {
    writeString(out, key)
    writeValue(out, value[key], path === '' ? key : `${path}.${key}`)
  }
}

/** Go's sort.Strings order: by UTF-8 bytes, not UTF-16 code units. */
export function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** The shortest round-trip text of a double, without exponent notation. */
export function plainDecimal(value: number): string {
  const text = String(value)
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text)
  if (match === null) return text
  const [, sign, intPart, fraction = '', exponentText] = match
  const digits = intPart + fraction
  const point = intPart.length + Number(exponentText)
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

/** The exact decimal value of a finite, fractional double. */
function exactDecimal(value: number): string {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, Math.abs(value))
  const bits = view.getBigUint64(0)
  const exponentBits = Number((bits >> 52n) & 0x7ffn)
  const fractionBits = bits & ((1n << 52n) - 1n)
  const mantissa = exponentBits === 0 ? fractionBits : fractionBits | (1n << 52n)
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075
  // value = mantissa * 2^exponent with exponent < 0 for a fractional double
  const scale = -exponent
  const scaled = (mantissa * 5n ** BigInt(scale)).toString().padStart(scale + 1, '0')
  const intPart = scaled.slice(0, scaled.length - scale)
  const fraction = scaled.slice(scaled.length - scale).replace(/0+$/, '')
  return `${value < 0 ? '-' : ''}${intPart}${fraction === '' ? '' : `.${fraction}`}`
}

class ByteWriter {
  #chunks: Uint8Array[] = []

  byte(value: number): void {
    this.#chunks.push(Uint8Array.of(value))
  }

  /** A type byte followed by a big-endian integer of `size` bytes. */
  head(type: number, value: number, size: 1 | 2 | 4, isSigned = false): void {
    const buf = Buffer.alloc(1 + size)
    buf[0] = type
    if (isSigned) buf.writeIntBE(value, 1, size)
    else buf.writeUIntBE(value, 1, size)
    this.#chunks.push(buf)
  }

  head64(type: number, value: bigint): void {
    const buf = Buffer.alloc(9)
    buf[0] = type
    if (value < 0n) buf.writeBigInt64BE(value, 1)
    else buf.writeBigUInt64BE(value, 1)
    this.#chunks.push(buf)
  }

  raw(bytes: Uint8Array): void {
    this.#chunks.push(bytes)
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.#chunks)
  }
}
