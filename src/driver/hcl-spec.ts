/**
 * Turns a schema definition into Nomad's hclspec, as plain objects in the
 * shape of the protobuf messages of `hcl_spec.proto` (field names exactly as
 * there: `object`, `Attr` with a capital A, `block_list`, `default`,
 * `literal`). plugin/ converts it to protobuf as is.
 *
 * @module
 */
import type { AttrField, BlockListField, ObjectDef } from './config-schema.js'

export interface HclAttr {
  name: string
  type: string
  required: boolean
}

export interface HclBlockList {
  name: string
  min_items: number
  max_items: number
  nested: HclSpec
}

export interface HclDefault {
  primary: HclSpec
  default: HclSpec
}

/** One hclspec.Spec: exactly one of these keys is set (the proto's oneof). */
export type HclSpec =
  | { object: { attributes: Record<string, HclSpec> } }
  | { Attr: HclAttr }
  | { block_list: HclBlockList }
  | { default: HclDefault }
  | { literal: { value: string } }

/** Builds the hclspec tree of an object definition. */
export function toHclSpec(def: ObjectDef): HclSpec {
  const attributes: Record<string, HclSpec> = {}
  for (const [key, field] of Object.entries(def)) {
    attributes[key] = field.kind === 'attr' ? attrSpec(key, field) : blockListSpec(field)
  }
  return { object: { attributes } }
}

function attrSpec(name: string, field: AttrField): HclSpec {
  // The name is always set: under Default it gets no implied name (protocol pitfall 17).
  const attr: HclSpec = { Attr: { name, type: field.type, required: field.isRequired === true } }
  if (field.defaultValue === undefined) return attr
  return {
    default: { primary: attr, default: { literal: { value: toHclLiteral(field.defaultValue) } } },
  }
}

function blockListSpec(field: BlockListField): HclSpec {
  return {
    block_list: {
      name: field.blockName,
      min_items: field.minItems,
      max_items: field.maxItems,
      nested: toHclSpec(field.nested),
    },
  }
}

/** An HCL expression for a literal: strings quoted and escaped, the rest as written. */
export function toHclLiteral(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value)
  // HCL template strings also treat `${` and `%{` as the start of an interpolation.
  // A function replacer, since `$$` in a replacement string means one `$`.
  return JSON.stringify(value)
    .replaceAll('${', () => '$${')
    .replaceAll('%{', () => '%%{')
}
