import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, mkdtemp, realpath, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BadPathError } from './errors.js'
import { parseFsPath, resolveTaskPath } from './task-path.js'

const accepted: Array<[string, string, boolean]> = [
  ['', '', false],
  ['local', 'local', false],
  ['local%2Findex.html', 'local/index.html', false],
  ['local%2findex.html', 'local/index.html', false],
  ['local/index.html', 'local/index.html', false],
  ['local/./a//b/', 'local/a/b', false],
  ['local%5Cwin%5Cfile.txt', 'local/win/file.txt', false],
  ['local/*', 'local', true],
  ['local%2F*.*', 'local', true],
  ['local/my%20file.txt', 'local/my file.txt', false],
  ['local/100%25.txt', 'local/100%.txt', false],
]
for (const [raw, relative, isWildcard] of accepted) {
  test(`the raw path '${raw}' reads as '${relative}'`, () => {
    const parsed = parseFsPath(raw)

    assert.deepEqual([parsed.pieces.join('/'), parsed.isWildcard], [relative, isWildcard])
  })
}

const refused: Array<[string, RegExp]> = [
  ['..', /'\.\.'/],
  ['local/../x', /'\.\.'/],
  ['..%2Fx', /'\.\.'/],
  ['%2E%2E/x', /'\.\.'/],
  ['local/%252e%252e/x', /'\.\.'/],
  ['local/%25252e%25252e/x', /'\.\.'/],
  ['local%5C..%5Cx', /'\.\.'/],
  ['%2Fetc%2Fpasswd', /absolute/],
  ['/etc/passwd', /absolute/],
  ['%5Cetc', /absolute/],
  ['C:%5Cx', /drive letter/],
  ['local/a%00b', /NUL/],
  ['local/%E0%A4%A', /not valid URL encoding/],
]
for (const [raw, message] of refused) {
  test(`the raw path '${raw}' is refused`, () => {
    assert.throws(
      () => parseFsPath(raw),
      (err: unknown) => err instanceof BadPathError && message.test(err.message),
    )
  })
}

test('a symlink leading out of the task directory is refused, one staying inside is followed', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'nomad-iis-path-'))
  t.after(() => rm(root, { recursive: true, force: true }))
  await mkdir(join(root, 'local', 'real'), { recursive: true })
  await symlink('/etc', join(root, 'local', 'out'))
  await symlink(join(root, 'local', 'real'), join(root, 'local', 'in'))

  const inside = await resolveTaskPath(root, parseFsPath('local/in/new.txt'))

  assert.equal(inside.absolute, join(await realpath(root), 'local', 'in', 'new.txt'))
  await assert.rejects(resolveTaskPath(root, parseFsPath('local/out/passwd')), BadPathError)
  await assert.rejects(resolveTaskPath(root, parseFsPath('local/out')), BadPathError)
})
