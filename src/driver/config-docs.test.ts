import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import {
  GENERATED_END,
  GENERATED_START,
  REFERENCE_DOCS,
  defaultRepoRoot,
  renderReference,
} from './config-docs.js'

for (const doc of REFERENCE_DOCS) {
  test(`${doc.file} lists exactly the keys of the schema definition`, async () => {
    const text = await readFile(`${defaultRepoRoot()}/${doc.file}`, 'utf8')
    const start = text.indexOf(GENERATED_START) + GENERATED_START.length
    const end = text.indexOf(GENERATED_END)

    const generated = text.slice(start, end).trim()

    assert.equal(
      generated,
      renderReference(doc.def, doc.rootName).trim(),
      `${doc.file} is stale: run node -e "import('./dist/src/driver/config-docs.js').then((m) => m.updateReferenceDocs())" after npm run build`,
    )
  })
}

test('the reference marks Windows-only options and lists nested blocks once', () => {
  const text = renderReference(REFERENCE_DOCS[0].def, 'config')

  assert.match(
    text,
    /\| `managed_runtime_version` \| string: `v4.0`, `v2.0`, `None` \| no \| {2}\| Windows-only/,
  )
  assert.match(text, /\| `idle_timeout` \| duration \(string\) \| no \|/)
  assert.equal(text.match(/### `extension` block/g)?.length, 1)
  assert.match(text, /### `virtual_directory` block \(in `application`\)/)
})
