/**
 * The fs endpoints over real HTTP: the curl examples of the IIS driver's
 * page run as written (host, ids and paths adapted), ZIPs made by `zip`
 * and checked with `unzip -t`, ranges and validators, listings, deletes,
 * and paths that try to leave the task directory, refused for every verb.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ALLOC_ID, curl, run, startHarness } from './management-harness.js'
import type { Harness } from './management-harness.js'

const KEY = ['-H', 'X-Api-Key: 12345']

describe('the fs endpoints', () => {
  let h: Harness
  let work: string
  let host: string
  before(async () => {
    h = await startHarness({ apiKey: '12345' })
    work = await mkdtemp(join(tmpdir(), 'nomad-iis-mgmt-fs-'))
    host = h.base
  })
  after(async () => {
    await h.close()
    await rm(work, { recursive: true, force: true })
  })

  test('the upload example replaces local/ with the zipped app and the site serves it', async () => {
    const app = join(work, 'static-sample-app')
    await mkdir(join(app, 'css'), { recursive: true })
    await mkdir(join(app, 'empty'))
    await writeFile(join(app, 'index.html'), '<h1>uploaded app</h1>')
    await writeFile(join(app, 'css', 'site.css'), 'body { color: red }')
    assert.equal((await run('zip', ['-qr', '../static-sample-app.zip', '.'], { cwd: app })).code, 0)

    const result = await run(
      'bash',
      [
        '-c',
        `curl -X PUT \\
  -H "X-Api-Key: 12345" \\
  -H "Content-Type: application/zip" \\
  --data-binary @"static-sample-app.zip" \\
  ${host}/api/v1/allocs/${ALLOC_ID}/app/fs/local?clean=true`,
      ],
      { cwd: work },
    )

    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), {
      files: 2,
      directories: 2,
      bytes: 40,
      path: 'local',
    })
    assert.deepEqual((await readdir(join(h.taskDir, 'local'))).sort(), [
      'css',
      'empty',
      'index.html',
    ])
    const page = await fetch(h.driver.findTask(ALLOC_ID, 'app')!.siteUrl!)
    assert.equal(await page.text(), '<h1>uploaded app</h1>')
  })

  test('the folder download example gives a ZIP that unzip -t accepts, empty folders included', async () => {
    const result = await run(
      'bash',
      [
        '-c',
        `curl -X GET \\
  -H "X-Api-Key: 12345" \\
  -o "local.zip" \\
  ${host}/api/v1/allocs/${ALLOC_ID}/app/fs/local`,
      ],
      { cwd: work },
    )

    assert.equal(result.code, 0, result.stderr)
    const checked = await run('unzip', ['-t', 'local.zip'], { cwd: work })
    assert.equal(checked.code, 0, checked.stdout)
    const listed = await run('unzip', ['-Z1', 'local.zip'], { cwd: work })
    assert.deepEqual(listed.stdout.trim().split('\n').sort(), [
      'css/',
      'css/site.css',
      'empty/',
      'index.html',
    ])
  })

  test('the single file example downloads index.html with its name', async () => {
    const result = await run(
      'bash',
      [
        '-c',
        `curl -X GET \\
  -H "X-Api-Key: 12345" \\
  -o "index.html" \\
  ${host}/api/v1/allocs/${ALLOC_ID}/app/fs/local%2findex.html`,
      ],
      { cwd: work },
    )

    assert.equal(result.code, 0, result.stderr)
    assert.equal(await readFile(join(work, 'index.html'), 'utf8'), '<h1>uploaded app</h1>')
  })

  test('a file answers HEAD, ranges, If-None-Match and names itself', async () => {
    const url = `${h.taskUrl}/fs/local/index.html`
    const head = await run('curl', ['-s', '-I', ...KEY, url])
    const etag = /etag: (".*")/i.exec(head.stdout)?.[1] ?? ''

    const range = await curl([...KEY, '-H', 'Range: bytes=4-9', url])
    const suffix = await curl([...KEY, '-H', 'Range: bytes=-5', url])
    const notModified = await curl([...KEY, '-H', `If-None-Match: ${etag}`, url])
    const outside = await curl([...KEY, '-H', 'Range: bytes=999-', url])

    assert.match(head.stdout, /content-length: 21/i)
    assert.match(head.stdout, /content-disposition: attachment; filename="index.html"/i)
    assert.notEqual(etag, '')
    assert.deepEqual([range.status, range.body], [206, 'uploaded'.slice(0, 6)])
    assert.deepEqual([suffix.status, suffix.body], [206, 'app</h1>'.slice(3)])
    assert.equal(notModified.status, 304)
    assert.equal(outside.status, 416)
  })

  test('a folder is listed as JSON when asked for application/json', async () => {
    const result = await curl([...KEY, '-H', 'Accept: application/json', `${h.taskUrl}/fs/local`])

    const body = JSON.parse(result.body)
    assert.equal(body.path, 'local')
    assert.deepEqual(
      body.entries.map((e: { name: string; type: string }) => `${e.type}:${e.name}`),
      ['directory:css', 'directory:empty', 'file:index.html'],
    )
    assert.match(body.entries[2].modified, /^\d{4}-\d\d-\d\dT.*Z$/)
  })

  test('a listed symlink leading out shows as symlink with nothing of its target; one inside as its target', async (t) => {
    const dir = join(h.taskDir, 'local', 'links')
    await mkdir(dir)
    t.after(() => rm(dir, { recursive: true, force: true }))
    await symlink('/etc/passwd', join(dir, 'out-file'))
    await symlink('/usr', join(dir, 'out-dir'))
    await symlink('/nonexistent/nothing', join(dir, 'dangling'))
    await writeFile(join(dir, 'real.txt'), '12345')
    await symlink('real.txt', join(dir, 'in-file'))

    const result = await curl([
      ...KEY,
      '-H',
      'Accept: application/json',
      `${h.taskUrl}/fs/local/links`,
    ])

    const entries = JSON.parse(result.body).entries as Array<Record<string, unknown>>
    const byName = Object.fromEntries(entries.map((e) => [e.name, e]))
    for (const name of ['out-file', 'out-dir', 'dangling']) {
      assert.equal(byName[name].type, 'symlink', name)
      assert.equal(byName[name].size, 0, name)
    }
    const passwd = await stat('/etc/passwd')
    assert.notEqual(byName['out-file'].modified, passwd.mtime.toISOString())
    assert.equal(byName['in-file'].type, 'file')
    assert.equal(byName['in-file'].size, 5)
  })

  test('a plain body is written as a file, parents created, and If-Match guards it', async () => {
    const url = `${h.taskUrl}/fs/local/notes/today.txt`
    const created = await curl([
      ...KEY,
      '-X',
      'PATCH',
      '-H',
      'Content-Type: text/plain',
      '--data-binary',
      'one',
      url,
    ])
    const head = await run('curl', ['-s', '-I', ...KEY, url])
    const etag = /etag: (".*")/i.exec(head.stdout)?.[1] ?? ''

    const stale = await curl([
      ...KEY,
      '-X',
      'PATCH',
      '-H',
      'If-Match: "stale"',
      '--data-binary',
      'two',
      url,
    ])
    const fresh = await curl([
      ...KEY,
      '-X',
      'PATCH',
      '-H',
      `If-Match: ${etag}`,
      '--data-binary',
      'three',
      url,
    ])

    assert.equal(created.status, 200)
    assert.equal(stale.status, 412)
    assert.equal(fresh.status, 200)
    assert.equal(await readFile(join(h.taskDir, 'local/notes/today.txt'), 'utf8'), 'three')
  })

  test('a JSON body is stored as a file, not parsed', async () => {
    const url = `${h.taskUrl}/fs/local/appsettings.json`
    const result = await curl([
      ...KEY,
      '-X',
      'PATCH',
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      '{"a": 1',
      url,
    ])

    assert.equal(result.status, 200)
    assert.equal(await readFile(join(h.taskDir, 'local/appsettings.json'), 'utf8'), '{"a": 1')
  })

  test('a body of any other content type is written as the file, streamed past the JSON limit', async () => {
    const body = join(work, 'two-mib.bin')
    const bytes = randomBytes(2 * 1024 * 1024)
    await writeFile(body, bytes)
    const types = [
      'foo',
      'text/plain',
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'a/b/c',
      '',
    ]
    for (const [index, type] of types.entries()) {
      const url = `${h.taskUrl}/fs/local/typed/${index}.bin`

      const result = await curl([
        ...KEY,
        '-X',
        'PUT',
        '-H',
        `Content-Type: ${type}`,
        '-T',
        body,
        url,
      ])

      assert.equal(result.status, 200, `${type}: ${result.body}`)
      assert.equal(JSON.parse(result.body).bytes, bytes.length)
      assert.ok(bytes.equals(await readFile(join(h.taskDir, 'local/typed', `${index}.bin`))), type)
    }
  })

  test('the IIS page spelling application-zip and other ZIP spellings extract as ZIPs', async () => {
    const app = join(work, 'spelled')
    await mkdir(app, { recursive: true })
    await writeFile(join(app, 'spelled.txt'), 'extracted')
    assert.equal((await run('zip', ['-q', '../spelled.zip', 'spelled.txt'], { cwd: app })).code, 0)
    const types = [
      'application-zip',
      'Application-ZIP; charset=binary',
      'application/x-zip-compressed',
      'APPLICATION/ZIP ; foo=bar',
    ]
    for (const [index, type] of types.entries()) {
      const result = await curl([
        ...KEY,
        '-X',
        'PATCH',
        '-H',
        `Content-Type: ${type}`,
        '--data-binary',
        `@${join(work, 'spelled.zip')}`,
        `${h.taskUrl}/fs/local/spelled${index}`,
      ])

      assert.equal(result.status, 200, `${type}: ${result.body}`)
      assert.equal(
        await readFile(join(h.taskDir, `local/spelled${index}/spelled.txt`), 'utf8'),
        'extracted',
      )
    }
  })

  test('DELETE removes files and folders, empties with /* and /*.*, and 404s on missing paths', async () => {
    const local = join(h.taskDir, 'local')
    await mkdir(join(local, 'trash/sub'), { recursive: true })
    await writeFile(join(local, 'trash/sub/a.txt'), 'a')
    await mkdir(join(local, 'keep/sub'), { recursive: true })
    await writeFile(join(local, 'keep/b.txt'), 'b')

    const file = await curl([...KEY, '-X', 'DELETE', `${h.taskUrl}/fs/local/appsettings.json`])
    const folder = await curl([...KEY, '-X', 'DELETE', `${h.taskUrl}/fs/local/trash`])
    const emptied = await curl([...KEY, '-X', 'DELETE', `${h.taskUrl}/fs/local/keep/*.*`])
    const emptiedEncoded = await curl([...KEY, '-X', 'DELETE', `${h.taskUrl}/fs/local%2Fnotes%2F*`])
    const missing = await curl([...KEY, '-X', 'DELETE', `${h.taskUrl}/fs/local/trash`])
    const root = await curl([...KEY, '-X', 'DELETE', `${h.taskUrl}/fs/*`])

    assert.deepEqual(JSON.parse(file.body), { deleted: 1 })
    assert.deepEqual(JSON.parse(folder.body), { deleted: 3 })
    assert.deepEqual(JSON.parse(emptied.body), { deleted: 2 })
    assert.equal(emptiedEncoded.status, 200)
    assert.deepEqual(await readdir(join(local, 'keep')), [])
    assert.deepEqual(await readdir(join(local, 'notes')), [])
    assert.equal(missing.status, 404)
    assert.equal(root.status, 400)
  })

  test('a file that cannot be read midway aborts the ZIP instead of ending it cleanly', async () => {
    const dir = join(h.taskDir, 'local', 'broken')
    await mkdir(dir)
    await writeFile(join(dir, 'a-big.bin'), randomBytes(24 * 1024 * 1024))
    // Both are over the size read ahead whole, so each is read only at its turn.
    await writeFile(join(dir, 'b-big.txt'), 'x'.repeat(8 * 1024 * 1024))
    const out = join(work, 'broken.zip')
    const child = spawn('curl', [
      '-s',
      '--limit-rate',
      '4M',
      ...KEY,
      '-o',
      out,
      `${h.taskUrl}/fs/local/broken`,
    ])
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)))

    await waitFor(async () => ((await stat(out).catch(() => null))?.size ?? 0) > 1024 * 1024)
    await truncate(join(dir, 'b-big.txt'), 10)
    const code = await exited

    assert.equal(code, 18, 'curl reports a transfer closed with data outstanding')
    assert.notEqual((await run('unzip', ['-t', out])).code, 0)
    await rm(dir, { recursive: true })
  })

  describe('paths that leave the task directory are refused with 400', () => {
    const attacks = [
      ['an encoded ..', '..%2f..%2fetc%2fpasswd'],
      ['a plain ..', 'local/../../etc/passwd'],
      ['a double-encoded ..', 'local/%252e%252e/%252e%252e/etc/passwd'],
      ['a backslash ..', 'local%5c..%5c..%5cetc%5cpasswd'],
      ['an absolute path', '%2fetc%2fpasswd'],
      ['a drive letter', 'C:%5cWindows'],
      ['a NUL byte', 'local/index.html%00.txt'],
      ['a symlink out', 'local/outside/passwd'],
    ]
    before(async () => {
      await symlink('/etc', join(h.taskDir, 'local', 'outside'))
    })
    for (const [title, path] of attacks) {
      for (const method of ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']) {
        test(`${title} with ${method}`, async () => {
          const args = ['--path-as-is', ...KEY, '-X', method, `${h.taskUrl}/fs/${path}`]
          if (method === 'PUT' || method === 'PATCH') args.push('--data-binary', 'x')
          if (method === 'HEAD') args.splice(0, 0, '-I')

          const result = await curl(args)

          assert.equal(result.status, 400, result.body)
        })
      }
    }
  })

  test('the refused paths left /etc alone, and a folder ZIP leaves the symlink out', async () => {
    const zipFile = join(work, 'with-link.zip')
    const download = await run('curl', ['-s', ...KEY, '-o', zipFile, `${h.taskUrl}/fs/local`])
    const listed = await run('unzip', ['-Z1', zipFile])

    assert.equal(download.code, 0)
    assert.ok(listed.stdout.includes('index.html'))
    assert.ok(!listed.stdout.includes('outside'), listed.stdout)
    assert.ok((await stat('/etc/passwd')).size > 0)
    assert.deepEqual((await readdir(h.taskDir)).sort(), ['local', 'private', 'secrets', 'tmp'])
  })
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
