import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, mkdir, readFile, rm, writeFile, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { fetchArtifact } from './artifact-fetcher.js'
import { RunnerError } from './errors.js'
import type { ArtifactSpec } from './job-spec.js'

async function fixture(t: { after: (fn: () => Promise<void>) => void }) {
  const root = await mkdtemp(join(tmpdir(), 'runner-artifact-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  const jobDir = join(root, 'job')
  const taskRoot = join(root, 'alloc', 'task')
  await mkdir(join(jobDir, 'app', 'css'), { recursive: true })
  await mkdir(join(taskRoot, 'local'), { recursive: true })
  await writeFile(join(jobDir, 'app', 'index.html'), '<h1>hi</h1>')
  await writeFile(join(jobDir, 'app', 'css', 'site.css'), 'body{}')
  return { jobDir, taskRoot }
}

function artifact(source: string, extra: Partial<ArtifactSpec> = {}): ArtifactSpec {
  return { source, destination: 'local/site', mode: 'any', options: {}, ...extra }
}

async function assertSiteAt(dir: string) {
  assert.equal(await readFile(join(dir, 'index.html'), 'utf8'), '<h1>hi</h1>')
  assert.equal(await readFile(join(dir, 'css', 'site.css'), 'utf8'), 'body{}')
}

test('a zip made by the zip tool is extracted into the destination', async (t) => {
  const { jobDir, taskRoot } = await fixture(t)
  execFileSync('zip', ['-qr', join(jobDir, 'site.zip'), '.'], { cwd: join(jobDir, 'app') })

  await fetchArtifact(artifact('site.zip'), jobDir, taskRoot)

  await assertSiteAt(join(taskRoot, 'local', 'site'))
})

test('a tar.gz made by the tar tool is extracted into the destination', async (t) => {
  const { jobDir, taskRoot } = await fixture(t)
  execFileSync('tar', ['-czf', join(jobDir, 'site.tar.gz'), '-C', join(jobDir, 'app'), '.'])

  await fetchArtifact(artifact('site.tar.gz'), jobDir, taskRoot)

  await assertSiteAt(join(taskRoot, 'local', 'site'))
})

test('a plain directory is copied into the destination', async (t) => {
  const { jobDir, taskRoot } = await fixture(t)

  await fetchArtifact(artifact('app'), jobDir, taskRoot)

  await assertSiteAt(join(taskRoot, 'local', 'site'))
})

test('archive = false copies the archive itself into the destination', async (t) => {
  const { jobDir, taskRoot } = await fixture(t)
  execFileSync('zip', ['-qr', join(jobDir, 'site.zip'), '.'], { cwd: join(jobDir, 'app') })

  await fetchArtifact(artifact('site.zip', { options: { archive: 'false' } }), jobDir, taskRoot)

  assert.ok((await stat(join(taskRoot, 'local', 'site', 'site.zip'))).isFile())
})

const BAD: [string, ArtifactSpec, RegExp][] = [
  ['a missing source', artifact('nope.zip'), /source "nope\.zip" not found/],
  ['a remote source', artifact('https://example.invalid/a.zip'), /not a local path/],
  [
    'a destination outside the task dir',
    artifact('app', { destination: '../../x' }),
    /escapes the task dir/,
  ],
  [
    'an unknown archive kind',
    artifact('app/index.html', { options: { archive: 'rar' } }),
    /archive = "rar"/,
  ],
]

for (const [name, spec, message] of BAD) {
  test(`an artifact with ${name} is refused`, async (t) => {
    const { jobDir, taskRoot } = await fixture(t)

    await assert.rejects(fetchArtifact(spec, jobDir, taskRoot), (err: unknown) => {
      assert.ok(err instanceof RunnerError)
      assert.equal(err.code, 'ERR_RUNNER_ARTIFACT')
      assert.match(err.message, message)
      return true
    })
  })
}

test('a corrupt zip is an error naming the artifact', async (t) => {
  const { jobDir, taskRoot } = await fixture(t)
  await writeFile(join(jobDir, 'bad.zip'), 'not a zip at all')

  await assert.rejects(
    fetchArtifact(artifact('bad.zip'), jobDir, taskRoot),
    /"bad\.zip" could not be extracted as zip/,
  )
})
