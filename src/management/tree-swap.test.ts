import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { swapIn } from './tree-swap.js'

async function layOut(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'nomad-iis-swap-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'target', 'keep'), { recursive: true })
  await writeFile(join(root, 'target', 'index.html'), 'old')
  await writeFile(join(root, 'target', 'keep', 'a.txt'), 'a')
  await mkdir(join(root, 'staging', 'keep'), { recursive: true })
  await writeFile(join(root, 'staging', 'index.html'), 'new')
  await writeFile(join(root, 'staging', 'keep', 'b.txt'), 'b')
  await mkdir(join(root, 'backup'))
  return root
}

function plan(root: string, isClean: boolean, targetDir = join(root, 'target')) {
  return { stagingDir: join(root, 'staging'), targetDir, backupDir: join(root, 'backup'), isClean }
}

test('a merge replaces files, adds new ones and keeps the rest', async (t) => {
  const root = await layOut(t)

  await swapIn(plan(root, false))

  assert.equal(await readFile(join(root, 'target', 'index.html'), 'utf8'), 'new')
  assert.deepEqual((await readdir(join(root, 'target', 'keep'))).sort(), ['a.txt', 'b.txt'])
})

test('clean leaves only the staged tree', async (t) => {
  const root = await layOut(t)

  await swapIn(plan(root, true))

  assert.deepEqual(await readdir(join(root, 'target', 'keep')), ['b.txt'])
})

test('a target that does not exist yet is created with its parents', async (t) => {
  const root = await layOut(t)

  await swapIn(plan(root, false, join(root, 'new', 'deep')))

  assert.equal(await readFile(join(root, 'new', 'deep', 'index.html'), 'utf8'), 'new')
})

test('a failure midway puts every moved file back', async (t) => {
  const root = await layOut(t)
  await writeFile(join(root, 'staging', 'aa-new.txt'), 'moved first')
  // Without the backup folder the second step, displacing index.html, fails.
  await rm(join(root, 'backup'), { recursive: true })

  await assert.rejects(swapIn(plan(root, false)), /ENOENT/)

  assert.deepEqual((await readdir(join(root, 'target'))).sort(), ['index.html', 'keep'])
  assert.equal(await readFile(join(root, 'target', 'index.html'), 'utf8'), 'old')
  assert.deepEqual((await readdir(join(root, 'staging'))).sort(), [
    'aa-new.txt',
    'index.html',
    'keep',
  ])
})
