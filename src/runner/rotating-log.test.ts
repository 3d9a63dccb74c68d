import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'

import { RotatingLog } from './rotating-log.js'

async function logsDir(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'runner-rotate-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('output past max_file_size continues in the next file, split at the byte limit', async (t) => {
  const dir = await logsDir(t)
  const log = new RotatingLog(join(dir, 'web.stdout'), { maxFiles: 10, maxFileBytes: 4 })

  log.write('abcdef')
  log.write('ghij')
  log.end()
  await finished(log)

  assert.deepEqual((await readdir(dir)).sort(), ['web.stdout.0', 'web.stdout.1', 'web.stdout.2'])
  assert.equal(await readFile(join(dir, 'web.stdout.0'), 'utf8'), 'abcd')
  assert.equal(await readFile(join(dir, 'web.stdout.1'), 'utf8'), 'efgh')
  assert.equal(await readFile(join(dir, 'web.stdout.2'), 'utf8'), 'ij')
})

test('only the newest max_files files are kept', async (t) => {
  const dir = await logsDir(t)
  const log = new RotatingLog(join(dir, 'web.stderr'), { maxFiles: 2, maxFileBytes: 2 })

  log.end('aabbccdd')
  await finished(log)

  assert.deepEqual((await readdir(dir)).sort(), ['web.stderr.2', 'web.stderr.3'])
  assert.equal(await readFile(join(dir, 'web.stderr.3'), 'utf8'), 'dd')
})

test('the first file exists before any output, as logmon creates it', async (t) => {
  const dir = await logsDir(t)
  const log = new RotatingLog(join(dir, 'web.stdout'))

  log.end()
  await finished(log)

  assert.equal(await readFile(join(dir, 'web.stdout.0'), 'utf8'), '')
})
