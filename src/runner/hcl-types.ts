/**
 * cty type expressions as hclspec's `Attr.type` carries them (`string`,
 * `list(map(number))`, `object({a=string})`, ...) and the conversions the
 * Nomad client applies when it decodes a config value to such a type.
 *
 * - `parseTypeExpression(text, where): CtyType`
 * - `convertToType(value, type, where): CtyValue` (strings to numbers and
 *   bools, numbers and bools to strings, tuples to lists/sets, objects to
 *   maps/objects; everything else is an HclDecodeError naming `where`)
 *
 * @module
 */
import type { CtyValue } from './cty-msgpack.js'
import { compareBytewise, plainDecimal } from './cty-msgpack.js'
import { HclDecodeError, describe } from './hcldec.js'

export type CtyType =
  | { kind: 'string' | 'number' | 'bool' | 'any' }
  | { kind: 'list' | 'set' | 'map'; element: CtyType }
  | { kind: 'tuple'; elements: CtyType[] }
  | { kind: 'object'; attributes: Record<string, CtyType> }

/** Parses a cty type expression; errors name `where`. */
export function parseTypeExpression(text: string, where: string): CtyType {
  const parser = new TypeParser(text, where)
  const type = parser.type()
  parser.end()
  return type
}

/** Converts a JSON-shaped value to `type` as cty's convert package does. */
export function convertToType(value: unknown, type: CtyType, where: string): CtyValue {
  if (value === null || value === undefined) return null
  switch (type.kind) {
    case 'any':
      return value as CtyValue
    case 'string':
      if (typeof value === 'string') return value
      if (typeof value === 'number') return plainDecimal(value)
      if (typeof value === 'boolean') return String(value)
      break
    case 'number':
      if (typeof value === 'number') return value
      if (typeof value === 'string' && /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) {
        return Number(value)
      }
      break
    case 'bool':
      if (typeof value === 'boolean') return value
      if (value === 'true' || value === 'false') return value === 'true'
      break
    case 'list':
    case 'set':
      if (Array.isArray(value)) {
        const items = value.map((item, i) => convertToType(item, type.element, `${where}[${i}]`))
        return type.kind === 'set' ? orderSetValues(items) : items
      }
      break
    case 'tuple':
      if (Array.isArray(value) && value.length === type.elements.length) {
        return value.map((item, i) => convertToType(item, type.elements[i], `${where}[${i}]`))
      }
      break
    case 'map':
      if (isPlainObject(value)) {
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [
            k,
            convertToType(v, type.element, `${where}.${k}`),
          ]),
        )
      }
      break
    case 'object':
      if (isPlainObject(value)) return convertObject(value, type.attributes, where)
      break
  }
  throw new HclDecodeError(`${where}: expected ${typeName(type)}, got ${describe(value)}`)
}

function convertObject(
  value: Record<string, unknown>,
  attributes: Record<string, CtyType>,
  where: string,
): CtyValue {
  for (const key of Object.keys(value)) {
    if (!(key in attributes)) throw new HclDecodeError(`${where}: unsupported attribute '${key}'`)
  }
  const result: Record<string, CtyValue> = {}
  for (const [key, attributeType] of Object.entries(attributes)) {
    if (!(key in value)) throw new HclDecodeError(`${where}: attribute '${key}' is required`)
    result[key] = convertToType(value[key], attributeType, `${where}.${key}`)
  }
  return result
}

/** cty orders set elements: strings lexicographic, numbers ascending, false first. */
function orderSetValues(values: CtyValue[]): CtyValue[] {
  const unique = [...new Map(values.map((v) => [JSON.stringify(v), v])).values()]
  return unique.sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b
    if (typeof a === 'string' && typeof b === 'string') return compareBytewise(a, b)
    if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
    return compareBytewise(JSON.stringify(a), JSON.stringify(b))
  })
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function typeName(type: CtyType): string {
  switch (type.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${type.kind}(${typeName(type.element)})`
    case 'tuple':
      return `tuple([${type.elements.map(typeName).join(', ')}])`
    case 'object':
      return 'object'
    default:
      return type.kind
  }
}

class TypeParser {
  #text: string
  #where: string
  #at = 0

  constructor(text: string, where: string) {
    this.#text = text
    this.#where = where
  }

  type(): CtyType {
    const word = this.#word()
    if (word === 'string' || word === 'number' || word === 'bool' || word === 'any') {
      return { kind: word }
    }
    if (word === 'list' || word === 'set' || word === 'map') {
      this.#expect('(')
      const element = this.type()
      this.#expect(')')
      return { kind: word, element }
    }
    if (word === 'tuple') {
      this.#expect('(')
      this.#expect('[')
      const elements = this.#listOf(']', () => this.type())
      this.#expect(')')
      return { kind: 'tuple', elements }
    }
    if (word === 'object') return this.#object()
    throw this.#error(word === '' ? 'a type' : `a known type instead of '${word}'`)
  }

  end(): void {
    this.#skipSpace()
    if (this.#at !== this.#text.length) throw this.#error('the end of the type')
  }

  #object(): CtyType {
    this.#expect('(')
    this.#expect('{')
    const attributes: Record<string, CtyType> = {}
    this.#listOf('}', () => {
      const key = this.#word()
      this.#expect('=')
      attributes[key] = this.type()
    })
    this.#expect(')')
    return { kind: 'object', attributes }
  }

  #listOf<T>(close: string, item: () => T): T[] {
    const items: T[] = []
    this.#skipSpace()
    while (this.#text[this.#at] !== close) {
      items.push(item())
      this.#skipSpace()
      if (this.#text[this.#at] === ',') this.#at += 1
      else break
      this.#skipSpace()
    }
    this.#expect(close)
    return items
  }

  #word(): string {
    this.#skipSpace()
    const match = /^[A-Za-z_][\w-]*/.exec(this.#text.slice(this.#at))
    if (match === null) return ''
    this.#at += match[0].length
    return match[0]
  }

  #expect(char: string): void {
    this.#skipSpace()
    if (this.#text[this.#at] !== char) throw this.#error(`'${char}'`)
    this.#at += 1
  }

  #skipSpace(): void {
    while (/\s/.test(this.#text[this.#at] ?? '')) this.#at += 1
  }

  #error(expected: string): HclDecodeError {
    return new HclDecodeError(
      `spec type '${this.#text}' of ${this.#where} is invalid: expected ${expected} at ` +
        `offset ${this.#at}`,
    )
  }
}
