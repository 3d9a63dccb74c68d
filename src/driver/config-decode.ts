/**
 * Checks a decoded config (what hcldec made of a job's or agent's config
 * with our hclspec) against its definition and normalises it: every key
 * present, defaults applied, numbers as numbers (Nomad sends fractions and
 * huge integers as decimal strings), enum values in their canonical
 * spelling, durations in milliseconds, block lists as arrays.
 *
 * @module
 */
import { parseDuration } from './duration.js'
import { DriverError } from './errors.js'
import type { AttrField, BlockListField, ObjectDef } from './config-schema.js'

/** A normalised object: attribute values and arrays of nested objects. */
export interface DecodedObject {
  [key: string]: string | number | boolean | string[] | DecodedObject[] | null
}

/** Collects what the decoding noticed besides errors. */
export interface DecodeContext {
  /** Windows-only options that were set, as `block.key`, in first-seen order. */
  ignoredOptions: Set<string>
}

/**
 * Decodes one object (the whole config or one block) against its definition.
 *
 * @param where how an error names this object, e.g. `config` or `application #2`
 * @param blockName the block's own name (`config` at the top), used in warnings
 * @throws {DriverError} naming the key and block of the first problem found
 */
export function decodeObject(
  def: ObjectDef,
  raw: unknown,
  where: string,
  blockName: string,
  ctx: DecodeContext,
): DecodedObject {
  const input = asRecord(raw, where)
  const byInputName = inputNames(def)
  for (const key of Object.keys(input)) {
    if (!byInputName.has(key)) {
      throw new DriverError(
        'ERR_DRIVER_UNKNOWN_KEY',
        `unknown key "${key}" in ${where}: remove it or correct its spelling (known keys: ${[...byInputName.keys()].join(', ')})`,
      )
    }
  }

  const output: DecodedObject = {}
  for (const [key, field] of Object.entries(def)) {
    const value =
      key in input ? input[key] : field.kind === 'blockList' ? input[field.blockName] : undefined
    output[key] =
      field.kind === 'attr'
        ? decodeAttr(key, field, value, where, blockName, ctx)
        : decodeBlockList(field, value, where, ctx)
  }
  return output
}

function asRecord(raw: unknown, where: string): Record<string, unknown> {
  if (raw === null || raw === undefined) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_CONFIG',
      `${where} must be a block (an object), not ${describe(raw)}`,
    )
  }
  return raw as Record<string, unknown>
}

// Output keys are what hcldec produces; block names are accepted too so that
// a caller holding the job's own JSON shape (blocks under their names) works.
function inputNames(def: ObjectDef): Map<string, string> {
  const names = new Map<string, string>()
  for (const [key, field] of Object.entries(def)) {
    names.set(key, key)
    if (field.kind === 'blockList') names.set(field.blockName, key)
  }
  return names
}

function decodeAttr(
  key: string,
  field: AttrField,
  value: unknown,
  where: string,
  blockName: string,
  ctx: DecodeContext,
): string | number | boolean | string[] | null {
  const raw = value ?? field.defaultValue ?? null
  if (raw === null) {
    if (!field.isRequired) return null
    throw new DriverError(
      'ERR_DRIVER_MISSING_ATTRIBUTE',
      `${where} is missing the required attribute "${key}": add ${key} = ... to the block`,
    )
  }

  const typed = convertType(key, field, raw, where)
  if (field.isWindowsOnly && typed !== field.defaultValue) {
    ctx.ignoredOptions.add(blockName === 'config' ? key : `${blockName}.${key}`)
  }
  if (field.oneOf && typeof typed === 'string')
    return canonicalChoice(key, field.oneOf, typed, where)
  if (field.isDuration && typeof typed === 'string')
    return parseDuration(typed, `"${key}" in ${where}`)
  return typed
}

function convertType(
  key: string,
  field: AttrField,
  raw: unknown,
  where: string,
): string | number | boolean | string[] {
  const wrongType = (): DriverError =>
    new DriverError(
      'ERR_DRIVER_INVALID_VALUE',
      `"${key}" in ${where} must be a ${field.type}, not ${describe(raw)}`,
    )

  switch (field.type) {
    case 'string':
      if (typeof raw === 'string') return raw
      // hcldec converts numbers and bools to a string attribute, e.g. port = 8080.
      if (typeof raw === 'number' || typeof raw === 'bigint' || typeof raw === 'boolean')
        return String(raw)
      throw wrongType()
    case 'number': {
      const number = toNumber(raw)
      if (number === null) throw wrongType()
      return number
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw
      if (raw === 'true' || raw === 'false') return raw === 'true'
      throw wrongType()
    case 'list(string)':
      if (Array.isArray(raw) && raw.every((item) => typeof item === 'string'))
        return raw as string[]
      throw wrongType()
  }
}

/** A msgpack number, bigint or decimal string (how cty sends fractions) as a number. */
export function toNumber(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null
  if (typeof raw === 'bigint') return Number(raw)
  if (typeof raw === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw.trim()))
    return Number(raw)
  return null
}

function canonicalChoice(
  key: string,
  choices: readonly string[],
  value: string,
  where: string,
): string {
  const match = choices.find((choice) => choice.toLowerCase() === value.toLowerCase())
  if (match !== undefined) return match
  throw new DriverError(
    'ERR_DRIVER_INVALID_VALUE',
    `"${key}" in ${where} is "${value}"; use one of: ${choices.join(', ')}`,
  )
}

function decodeBlockList(
  field: BlockListField,
  value: unknown,
  where: string,
  ctx: DecodeContext,
): DecodedObject[] {
  const items = value === null || value === undefined ? [] : Array.isArray(value) ? value : [value]
  const countProblem =
    items.length < field.minItems
      ? `at least ${field.minItems}`
      : field.maxItems > 0 && items.length > field.maxItems
        ? `at most ${field.maxItems}`
        : null
  if (countProblem) {
    throw new DriverError(
      'ERR_DRIVER_BLOCK_COUNT',
      `${where} has ${items.length} "${field.blockName}" blocks; it takes ${countProblem}`,
    )
  }
  if (field.isWindowsOnly && items.length > 0) ctx.ignoredOptions.add(field.blockName)

  const prefix = where === 'config' ? '' : `${where} > `
  return items.map((item, index) =>
    decodeObject(
      field.nested,
      item,
      `${prefix}${field.blockName} #${index + 1}`,
      field.blockName,
      ctx,
    ),
  )
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return `the string "${value}"`
  return `a ${typeof value}`
}
