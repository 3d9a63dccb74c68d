import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'

import { RUNNER_ERROR_CODES } from './errors.js'

const DOC = new URL('../../../docs/runner.md', import.meta.url)

test('every runner error code is documented in docs/runner.md, and no other', async () => {
  const text = await readFile(DOC, 'utf8')
  const documented = [...text.matchAll(/`(ERR_RUNNER_[A-Z_]+)`/g)].map((m) => m[1])

  assert.deepEqual([...new Set(documented)].sort(), [...RUNNER_ERROR_CODES].sort())
})
