/**
 * Renders the config reference tables of docs/task-config.md and
 * docs/driver-config.md from the schema definition, so the docs list exactly
 * the keys the driver accepts. A unit test fails when a doc is stale;
 * `updateReferenceDocs()` rewrites the generated part of both files.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { DRIVER_CONFIG_DEF, TASK_CONFIG_DEF } from './config-schema.js'
import type { AttrField, BlockListField, ObjectDef } from './config-schema.js'

export const GENERATED_START = '<!-- generated from src/driver/config-schema.ts: start -->'
export const GENERATED_END = '<!-- generated from src/driver/config-schema.ts: end -->'

/** The docs whose generated part comes from each definition. */
export const REFERENCE_DOCS = [
  { file: 'docs/task-config.md', def: TASK_CONFIG_DEF, rootName: 'config' },
  { file: 'docs/driver-config.md', def: DRIVER_CONFIG_DEF, rootName: 'config' },
] as const

/** Markdown tables for a definition: the root object, then every nested block once. */
export function renderReference(def: ObjectDef, rootName: string): string {
  const sections: string[] = []
  // Blocks sharing one definition (extension, the two pool spellings) are listed once.
  const seen = new Set<ObjectDef>()
  const visit = (object: ObjectDef, name: string, parent: string | null): void => {
    if (seen.has(object)) return
    seen.add(object)
    sections.push(renderSection(object, name, parent))
    for (const field of Object.values(object)) {
      if (field.kind === 'blockList') visit(field.nested, field.blockName, name)
    }
  }
  visit(def, rootName, null)
  return sections.join('\n')
}

/** Rewrites the generated part of each reference doc under the repository root. */
export async function updateReferenceDocs(repoRoot = defaultRepoRoot()): Promise<void> {
  for (const doc of REFERENCE_DOCS) {
    const path = `${repoRoot}/${doc.file}`
    const text = await readFile(path, 'utf8')
    const start = text.indexOf(GENERATED_START)
    const end = text.indexOf(GENERATED_END)
    if (start < 0 || end < start)
      throw new TypeError(`${doc.file} lacks the generated-part markers`)
    const generated = `${GENERATED_START}\n\n${renderReference(doc.def, doc.rootName)}\n${GENERATED_END}`
    await writeFile(path, text.slice(0, start) + generated + text.slice(end + GENERATED_END.length))
  }
}

/** The repository root seen from this module, in src/ or in dist/src/. */
export function defaultRepoRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url))
  return here.replace(/\/(dist\/)?src\/driver\/$/, '')
}

function renderSection(object: ObjectDef, name: string, parent: string | null): string {
  const heading = parent === null ? `### \`${name}\`` : `### \`${name}\` block (in \`${parent}\`)`
  const rows = Object.entries(object).map(([key, field]) =>
    field.kind === 'attr' ? attrRow(key, field) : blockRow(field),
  )
  return [
    heading,
    '',
    '| Key | Type | Required | Default | Here | What it does |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n')
}

function attrRow(key: string, field: AttrField): string {
  const type = field.isDuration
    ? 'duration (string)'
    : field.oneOf
      ? `string: ${field.oneOf.map((v) => `\`${v}\``).join(', ')}`
      : field.type
  const defaultText =
    field.defaultValue === undefined ? '' : `\`${JSON.stringify(field.defaultValue)}\``
  return row([
    `\`${key}\``,
    type,
    field.isRequired ? 'yes' : 'no',
    defaultText,
    here(field),
    field.doc,
  ])
}

function blockRow(field: BlockListField): string {
  const count =
    field.maxItems === 0
      ? `${field.minItems} or more`
      : field.minItems === field.maxItems
        ? `exactly ${field.minItems}`
        : `${field.minItems} to ${field.maxItems}`
  return row([
    `\`${field.blockName}\` block`,
    `block list (${count})`,
    field.minItems > 0 ? 'yes' : 'no',
    '',
    here(field),
    field.doc,
  ])
}

function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`
}

function here(field: AttrField | BlockListField): string {
  if (field.here !== undefined) return field.here
  return field.isWindowsOnly ? 'Windows-only: accepted, no effect' : 'used'
}
