/**
 * Decodes a job's `config` block with the hclspec a plugin returned, the
 * way a Nomad client's hcldec does before it encodes the result with cty
 * msgpack (reference sections 3.2 and 4.1-4.2).
 *
 * Exported API (the runner codes against it):
 * - `decodeHclConfig(spec: HclSpec, body: unknown, options?): CtyValue`
 *   - `spec`: the `spec` of TaskConfigSchemaResponse / ConfigSchemaResponse
 *     as @grpc/proto-loader gives it with `keepCase: true, oneofs: true`
 *     (`{ object: { attributes } }`, `{ Attr: { name, type, required } }`,
 *     `{ block_list: {...} }`, ...). The `block` oneof discriminator is
 *     optional.
 *   - `body`: the `config` value as @cdktf/hcl2json gives it (an array
 *     holding one object) or the object itself. Nested blocks are arrays of
 *     objects or single objects; a labelled block is an object keyed by label.
 *   - `options.variables`: the task environment. Every string is treated as
 *     an HCL template: `${NAME}` is replaced by the variable's value, `$${`
 *     is a literal `${`. Interpolation is done HERE, not by the runner.
 *     Only plain variable references are supported (Nomad also allows a few
 *     functions); anything else is an error naming the expression.
 *   - `options.blockName`: how the top level is named in errors
 *     (default `config`).
 *   - returns the decoded value: every Object key present (null when
 *     unset), defaults applied, types converted, block lists as arrays, sets
 *     deduplicated and ordered as cty orders them.
 * - `HclDecodeError` (`code` ERR_RUNNER_HCL_DECODE): unknown keys (naming
 *   the key and its block), missing required attributes or blocks, too few
 *   or too many blocks, values that do not convert, malformed specs.
 * - `HclSpec`: the spec shape.
 *
 * @module
 */
import type { CtyValue } from './cty-msgpack.js'
import { compareBytewise } from './cty-msgpack.js'
import { interpolate } from './hcl-template.js'
import { convertToType, parseTypeExpression } from './hcl-types.js'

export interface HclSpec {
  block?: string
  object?: { attributes?: Record<string, HclSpec> }
  array?: { values?: HclSpec[] }
  Attr?: { name?: string; type?: string; required?: boolean }
  block_value?: { name?: string; required?: boolean; nested?: HclSpec }
  block_attrs?: { name?: string; type?: string; required?: boolean }
  block_list?: BlockListSpec
  block_set?: BlockListSpec
  block_map?: { name?: string; labels?: string[]; nested?: HclSpec }
  default?: { primary?: HclSpec; default?: HclSpec }
  literal?: { value?: string }
}

interface BlockListSpec {
  name?: string
  min_items?: number | string
  max_items?: number | string
  nested?: HclSpec
}

export interface HclDecodeOptions {
  variables?: Record<string, string>
  blockName?: string
}

/** The config does not decode with the spec; the message says what to change. */
export class HclDecodeError extends Error {
  readonly code = 'ERR_RUNNER_HCL_DECODE'
}

type Body = Record<string, unknown>

export interface Scope {
  blockName: string
  variables: Record<string, string> | undefined
}

/** Decodes `body` with `spec` as Nomad's client does. */
export function decodeHclConfig(
  spec: HclSpec,
  body: unknown,
  options: HclDecodeOptions = {},
): CtyValue {
  const scope = { blockName: options.blockName ?? 'config', variables: options.variables }
  const content = singleBody(body, scope.blockName) ?? {}
  return decodeBody(spec, content, scope)
}

function decodeBody(spec: HclSpec, body: Body, scope: Scope): CtyValue {
  const allowed = new Set<string>()
  impliedNames(spec, undefined, allowed, scope)
  for (const key of Object.keys(body)) {
    if (!allowed.has(key)) {
      throw new HclDecodeError(
        `unsupported argument or block '${key}' in block '${scope.blockName}'; ` +
          `allowed: ${[...allowed].sort().join(', ') || 'none'}`,
      )
    }
  }
  return decodeSpec(spec, undefined, body, scope)
}

function impliedNames(spec: HclSpec, implied: string | undefined, out: Set<string>, scope: Scope) {
  const kind = specKind(spec, scope)
  const child = spec[kind] as { name?: string }
  switch (kind) {
    case 'object':
      for (const [key, sub] of Object.entries(spec.object?.attributes ?? {})) {
        impliedNames(sub, key, out, scope)
      }
      return
    case 'array':
      for (const sub of spec.array?.values ?? []) impliedNames(sub, undefined, out, scope)
      return
    case 'default':
      if (spec.default?.primary) impliedNames(spec.default.primary, undefined, out, scope)
      if (spec.default?.default) impliedNames(spec.default.default, undefined, out, scope)
      return
    case 'literal':
      return
    default:
      out.add(nameOf(child.name, implied, kind, scope))
  }
}

function decodeSpec(
  spec: HclSpec,
  implied: string | undefined,
  body: Body,
  scope: Scope,
): CtyValue {
  const kind = specKind(spec, scope)
  switch (kind) {
    case 'object': {
      const result: Record<string, CtyValue> = {}
      const entries = Object.entries(spec.object?.attributes ?? {})
      for (const [key, sub] of entries.sort(([a], [b]) => compareBytewise(a, b))) {
        result[key] = decodeSpec(sub, key, body, scope)
      }
      return result
    }
    case 'array':
      return (spec.array?.values ?? []).map((sub) => decodeSpec(sub, undefined, body, scope))
    case 'default': {
      const primary = decodeSpec(
        need(spec.default?.primary, 'default.primary', scope),
        undefined,
        body,
        scope,
      )
      if (primary !== null) return primary
      return decodeSpec(
        need(spec.default?.default, 'default.default', scope),
        undefined,
        body,
        scope,
      )
    }
    case 'literal':
      return parseLiteral(spec.literal?.value ?? '', scope)
    case 'Attr':
      return decodeAttr(spec.Attr ?? {}, implied, body, scope)
    case 'block_value':
      return decodeBlock(spec.block_value ?? {}, implied, body, scope)
    case 'block_attrs':
      return decodeBlockAttrs(spec.block_attrs ?? {}, implied, body, scope)
    case 'block_list':
      return decodeBlockList(spec.block_list ?? {}, implied, body, scope, false)
    case 'block_set':
      return decodeBlockList(spec.block_set ?? {}, implied, body, scope, true)
    case 'block_map':
      return decodeBlockMap(spec.block_map ?? {}, implied, body, scope)
  }
}

function decodeAttr(
  attr: NonNullable<HclSpec['Attr']>,
  implied: string | undefined,
  body: Body,
  scope: Scope,
): CtyValue {
  const name = nameOf(attr.name, implied, 'Attr', scope)
  const type = parseTypeExpression(attr.type ?? '', `attribute '${name}'`)
  const raw = body[name]
  if (raw === undefined || raw === null) {
    if (attr.required === true) {
      throw new HclDecodeError(`missing required argument '${name}' in block '${scope.blockName}'`)
    }
    return null
  }
  const value = interpolate(raw, scope, name)
  return convertToType(value, type, `argument '${name}' in block '${scope.blockName}'`)
}

function decodeBlock(
  block: NonNullable<HclSpec['block_value']>,
  implied: string | undefined,
  body: Body,
  scope: Scope,
): CtyValue {
  const name = nameOf(block.name, implied, 'block_value', scope)
  const items = blockItems(body[name], name, scope)
  if (items.length === 0) {
    if (block.required === true) {
      throw new HclDecodeError(`missing required block '${name}' in block '${scope.blockName}'`)
    }
    return null
  }
  if (items.length > 1) {
    throw new HclDecodeError(`only one '${name}' block is allowed in block '${scope.blockName}'`)
  }
  const nested = need(block.nested, `block '${name}' nested`, scope)
  return decodeBody(nested, items[0], { ...scope, blockName: name })
}

function decodeBlockList(
  list: BlockListSpec,
  implied: string | undefined,
  body: Body,
  scope: Scope,
  isSet: boolean,
): CtyValue {
  const name = nameOf(list.name, implied, isSet ? 'block_set' : 'block_list', scope)
  const items = blockItems(body[name], name, scope)
  const min = Number(list.min_items ?? 0)
  const max = Number(list.max_items ?? 0)
  if (items.length < min) {
    throw new HclDecodeError(
      `block '${scope.blockName}' needs at least ${min} '${name}' block(s), found ${items.length}`,
    )
  }
  if (max > 0 && items.length > max) {
    throw new HclDecodeError(
      `block '${scope.blockName}' allows at most ${max} '${name}' block(s), found ${items.length}`,
    )
  }
  const nested = need(list.nested, `block '${name}' nested`, scope)
  const values = items.map((item) => decodeBody(nested, item, { ...scope, blockName: name }))
  return isSet ? orderSet(values) : values
}

function decodeBlockAttrs(
  attrs: NonNullable<HclSpec['block_attrs']>,
  implied: string | undefined,
  body: Body,
  scope: Scope,
): CtyValue {
  const name = nameOf(attrs.name, implied, 'block_attrs', scope)
  const items = blockItems(body[name], name, scope)
  if (items.length === 0) {
    if (attrs.required === true) {
      throw new HclDecodeError(`missing required block '${name}' in block '${scope.blockName}'`)
    }
    return null
  }
  if (items.length > 1) {
    throw new HclDecodeError(`only one '${name}' block is allowed in block '${scope.blockName}'`)
  }
  const type = parseTypeExpression(`map(${attrs.type ?? ''})`, `block '${name}'`)
  return convertToType(interpolate(items[0], scope, name), type, `block '${name}'`)
}

function decodeBlockMap(
  map: NonNullable<HclSpec['block_map']>,
  implied: string | undefined,
  body: Body,
  scope: Scope,
): CtyValue {
  const name = nameOf(map.name, implied, 'block_map', scope)
  const labels = map.labels ?? []
  if (labels.length === 0) {
    throw new HclDecodeError(
      `spec for block '${name}' has no labels; a block_map needs at least one`,
    )
  }
  const nested = need(map.nested, `block '${name}' nested`, scope)
  const raw = body[name]
  if (raw === undefined || raw === null) return {}
  return decodeLabelLevel(raw, labels, 0, name, nested, scope)
}

function decodeLabelLevel(
  raw: unknown,
  labels: string[],
  level: number,
  name: string,
  nested: HclSpec,
  scope: Scope,
): CtyValue {
  const byLabel = singleBody(raw, name)
  if (byLabel === undefined) return {}
  const result: Record<string, CtyValue> = {}
  for (const [label, inner] of Object.entries(byLabel)) {
    if (level + 1 < labels.length) {
      result[label] = decodeLabelLevel(inner, labels, level + 1, name, nested, scope)
      continue
    }
    const items = blockItems(inner, name, scope)
    if (items.length !== 1) {
      throw new HclDecodeError(`duplicate '${name}' block with label '${label}'`)
    }
    result[label] = decodeBody(nested, items[0], { ...scope, blockName: `${name} "${label}"` })
  }
  return result
}

function blockItems(raw: unknown, name: string, scope: Scope): Body[] {
  if (raw === undefined || raw === null) return []
  const list = Array.isArray(raw) ? raw : [raw]
  return list.map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new HclDecodeError(
        `'${name}' in block '${scope.blockName}' must be a block, got ${describe(item)}`,
      )
    }
    return item as Body
  })
}

function singleBody(raw: unknown, name: string): Body | undefined {
  if (raw === undefined || raw === null) return undefined
  const value = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HclDecodeError(`block '${name}' must be an object, got ${describe(value)}`)
  }
  return value as Body
}

function parseLiteral(text: string, scope: Scope): CtyValue {
  try {
    const value = JSON.parse(text) as CtyValue
    // a quoted literal is an HCL template: `$${` and `%%{` are escapes
    return typeof value === 'string' ? value.replaceAll('$${', '${').replaceAll('%%{', '%{') : value
  } catch {
    throw new HclDecodeError(
      `literal '${text}' in the spec for block '${scope.blockName}' is not an HCL value; ` +
        'quote strings, e.g. "\\"30s\\""',
    )
  }
}

function orderSet(values: CtyValue[]): CtyValue[] {
  const unique = new Map<string, CtyValue>()
  for (const value of values) unique.set(JSON.stringify(value), value)
  // cty orders sets of objects by an internal hash; stable JSON order is ours
  return [...unique.entries()].sort(([a], [b]) => compareBytewise(a, b)).map(([, v]) => v)
}

type SpecKind = Exclude<keyof HclSpec, 'block'>

const KINDS: SpecKind[] = [
  'object',
  'array',
  'Attr',
  'block_value',
  'block_attrs',
  'block_list',
  'block_set',
  'block_map',
  'default',
  'literal',
]

function specKind(spec: HclSpec, scope: Scope): SpecKind {
  const kind = KINDS.find((k) => spec[k] !== undefined && spec[k] !== null)
  if (kind === undefined) {
    throw new HclDecodeError(`empty spec node under block '${scope.blockName}'`)
  }
  return kind
}

function nameOf(name: string | undefined, implied: string | undefined, kind: string, scope: Scope) {
  const result = name !== undefined && name !== '' ? name : implied
  if (result === undefined) {
    throw new HclDecodeError(
      `${kind} spec under block '${scope.blockName}' has no name; give it one inside default/array`,
    )
  }
  return result
}

function need<T>(value: T | undefined | null, what: string, scope: Scope): T {
  if (value === undefined || value === null) {
    throw new HclDecodeError(`spec ${what} is missing under block '${scope.blockName}'`)
  }
  return value
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
