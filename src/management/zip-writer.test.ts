import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { writeZip } from './zip-writer.js'
import type { ZipSourceEntry } from './zip-writer.js'

const exec = promisify(execFile)
const MTIME = new Date(2024, 4, 17, 10, 30, 42)

async function* fromArray(entries: ZipSourceEntry[]): AsyncGenerator<ZipSourceEntry> {
  yield* entries
}

async function withTemp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nomad-iis-zipw-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

for (const level of [0, 6]) {
  test(`small, streamed and empty files at level ${level} pass unzip -t and Python's testzip`, async (t) => {
    const dir = await withTemp(t)
    await writeFile(join(dir, 'small.txt'), 'hello '.repeat(1000))
    await writeFile(join(dir, 'big.bin'), Buffer.alloc(6 * 1024 * 1024, 'ab'))
    await writeFile(join(dir, 'empty.txt'), '')
    const file = (name: string, sizeBytes: number): ZipSourceEntry => ({
      name,
      path: join(dir, name),
      sizeBytes,
      mtime: MTIME,
      mode: 0o100644,
    })
    const entries = [
      { name: 'folder/', path: null, sizeBytes: 0, mtime: MTIME, mode: 0o40755 },
      file('small.txt', 6000),
      file('big.bin', 6 * 1024 * 1024),
      file('empty.txt', 0),
    ]

    await pipeline(writeZip(fromArray(entries), level), createWriteStream(join(dir, 'out.zip')))

    await exec('unzip', ['-tq', join(dir, 'out.zip')])
    const { stdout } = await exec('python3', [
      '-c',
      `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
print(' '.join(f'{i.filename}:{i.file_size}:{i.date_time[3]}' for i in z.infolist()))`,
      join(dir, 'out.zip'),
    ])
    assert.equal(
      stdout.trim(),
      `folder/:0:10 small.txt:6000:10 big.bin:${6 * 1024 * 1024}:10 empty.txt:0:10`,
    )
  })
}

test('more than 65,535 entries get ZIP64 end records that unzip reads', async (t) => {
  const dir = await withTemp(t)
  const entries = Array.from({ length: 70_000 }, (_, i) => ({
    name: `d${i}/`,
    path: null,
    sizeBytes: 0,
    mtime: MTIME,
    mode: 0o40755,
  }))

  await pipeline(writeZip(fromArray(entries), 6), createWriteStream(join(dir, 'many.zip')))

  const { stdout } = await exec('python3', [
    '-c',
    'import sys, zipfile; print(len(zipfile.ZipFile(sys.argv[1]).namelist()))',
    join(dir, 'many.zip'),
  ])
  assert.equal(stdout.trim(), '70000')
  await exec('unzip', ['-tq', join(dir, 'many.zip')], { maxBuffer: 64 * 1024 * 1024 })
})

test('a file that shrank since it was listed fails the stream', async (t) => {
  const dir = await withTemp(t)
  await writeFile(join(dir, 'a.txt'), 'short')
  const entries = [
    { name: 'a.txt', path: join(dir, 'a.txt'), sizeBytes: 100, mtime: MTIME, mode: 0o100644 },
  ]

  await assert.rejects(
    pipeline(writeZip(fromArray(entries), 6), createWriteStream(join(dir, 'bad.zip'))),
    /changed while it was zipped/,
  )
})
