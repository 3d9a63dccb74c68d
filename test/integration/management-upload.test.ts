/**
 * Uploads that must lose nothing: ZIPs made by Python's zipfile (backslash
 * names, zip-slip entries), by `zip` (symlinks, ZIP64), corrupt ones, ones
 * over a limit, a client killed midway and two uploads at once. Whatever
 * fails leaves the target exactly as it was. PUT stops the pools around
 * the swap and restores them; PATCH leaves them running.
 */
import { after, before, beforeEach, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { spawn } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { curl, run, startHarness } from './management-harness.js'
import type { Harness } from './management-harness.js'
import type { TaskEvent } from '../../src/driver/types.js'

const KEY = ['-H', 'X-Api-Key: 12345']
const ZIP = ['-H', 'Content-Type: application/zip']

describe('uploads', () => {
  let h: Harness
  let work: string
  let target: string
  before(async () => {
    h = await startHarness({
      apiKey: '12345',
      limits: { maxBodyBytes: 256 * 1024, maxZipEntries: 50, maxUncompressedBytes: 1024 * 1024 },
    })
    work = await mkdtemp(join(tmpdir(), 'nomad-iis-mgmt-up-'))
    target = join(h.taskDir, 'local', 'site')
  })
  after(async () => {
    await h.close()
    await rm(work, { recursive: true, force: true })
  })
  beforeEach(async () => {
    await rm(target, { recursive: true, force: true })
    await mkdir(join(target, 'old'), { recursive: true })
    await writeFile(join(target, 'index.html'), 'old index')
    await writeFile(join(target, 'old', 'keep.txt'), 'old file')
  })

  async function put(
    zipFile: string,
    query = '?clean=true',
  ): Promise<{ status: number; body: string }> {
    return curl([
      ...KEY,
      ...ZIP,
      '-X',
      'PUT',
      '--data-binary',
      `@${zipFile}`,
      `${h.taskUrl}/fs/local/site${query}`,
    ])
  }

  async function python(name: string, source: string): Promise<string> {
    const file = join(work, name)
    const result = await run('python3', ['-c', source, file])
    assert.equal(result.code, 0, result.stderr)
    return file
  }

  test('backslash names from Windows tools become folders', async () => {
    const zipFile = await python(
      'backslash.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('wwwroot\\\\css\\\\site.css', 'body {}')
    z.writestr('index.html', 'new index')`,
    )

    const result = await put(zipFile)

    assert.equal(result.status, 200, result.body)
    assert.equal(await readFile(join(target, 'wwwroot', 'css', 'site.css'), 'utf8'), 'body {}')
    assert.deepEqual((await readdir(target)).sort(), ['index.html', 'wwwroot'])
  })

  const refusedZips: Array<[string, string]> = [
    ['a zip-slip entry', "z.writestr('../evil.txt', 'x')"],
    ['a backslash zip-slip entry', "z.writestr('..\\\\..\\\\evil.txt', 'x')"],
    ['an absolute entry', "z.writestr('/tmp/evil.txt', 'x')"],
    ['a drive letter entry', "z.writestr('C:/evil.txt', 'x')"],
  ]
  for (const [title, line] of refusedZips) {
    test(`${title} fails the whole upload with 422 and changes nothing, clean=true included`, async () => {
      const zipFile = await python(
        'slip.zip',
        `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('index.html', 'new index')
    ${line}`,
      )
      const before = await snapshot(target)

      const result = await put(zipFile)

      assert.equal(result.status, 422, result.body)
      assert.deepEqual(await snapshot(target), before)
      assert.deepEqual(await leftovers(h), [])
    })
  }

  const badNameZips: Array<[string, string, RegExp]> = [
    [
      'an entry name holding a NUL byte',
      `z.writestr('aQQb.txt', 'x')
data = open(sys.argv[1], 'rb').read().replace(b'aQQb.txt', b'a\\x00Qb.txt')
open(sys.argv[1], 'wb').write(data)`,
      /NUL byte/,
    ],
    [
      'two entries landing on one name',
      "z.writestr('dir\\\\f.txt', 'one')\n    z.writestr('dir/f.txt', 'two')",
      /'dir\/f\.txt'.*'dir\/f\.txt'|both land on 'dir\/f\.txt'/,
    ],
    [
      'a file entry where another entry needs a folder',
      "z.writestr('x', 'file')\n    z.writestr('x/y.txt', 'below')",
      /'x\/y\.txt' needs a folder where entry 'x' is a file/,
    ],
    ['a declared size below the data', shrinkSize(10), /holds more bytes than the 10/],
    ['a declared size above the data', shrinkSize(5000), /holds 300 bytes, not the 5000/],
  ]
  for (const [title, lines, detail] of badNameZips) {
    test(`${title} is refused with 422 and a detail naming no host path`, async () => {
      const zipFile = await python(
        'names.zip',
        `import sys, zipfile, struct
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('index.html', 'new index')
    ${lines}`,
      )
      const before = await snapshot(target)

      const result = await put(zipFile)

      assert.equal(result.status, 422, result.body)
      const problem = JSON.parse(result.body)
      assert.match(problem.detail, detail)
      assert.doesNotMatch(problem.detail, /Cannot create a Buffer/)
      assert.ok(!problem.detail.includes(tmpdir()), problem.detail)
      assert.ok(!problem.detail.includes('.nomad-iis-upload-'), problem.detail)
      assert.deepEqual(await snapshot(target), before)
    })
  }

  test('a symlink entry made by zip -y is refused with 422', async () => {
    const src = join(work, 'links')
    await mkdir(src, { recursive: true })
    await symlink('/etc/passwd', join(src, 'passwd'))
    await run('zip', ['-qy', '../links.zip', 'passwd'], { cwd: src })
    const before = await snapshot(target)

    const result = await put(join(work, 'links.zip'))

    assert.equal(result.status, 422)
    assert.match(JSON.parse(result.body).detail, /symbolic link/)
    assert.deepEqual(await snapshot(target), before)
  })

  test('a CRC mismatch is found and nothing changes', async () => {
    const zipFile = await python(
      'crc.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_STORED) as z:
    z.writestr('index.html', 'new index, a stored entry')
data = bytearray(open(sys.argv[1], 'rb').read())
at = data.find(b'new index')
data[at] = ord('N')
open(sys.argv[1], 'wb').write(bytes(data))`,
    )
    const before = await snapshot(target)

    const result = await put(zipFile)

    assert.equal(result.status, 422)
    assert.match(JSON.parse(result.body).detail, /CRC/)
    assert.deepEqual(await snapshot(target), before)
  })

  test('a ZIP64 archive made by zip -fz is extracted', async () => {
    const src = join(work, 'z64')
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'index.html'), 'zip64 index')
    await run('zip', ['-qfz', '../z64.zip', 'index.html'], { cwd: src })

    const result = await put(join(work, 'z64.zip'), '')

    assert.equal(result.status, 200, result.body)
    assert.equal(await readFile(join(target, 'index.html'), 'utf8'), 'zip64 index')
    assert.equal(await readFile(join(target, 'old', 'keep.txt'), 'utf8'), 'old file')
  })

  test('a body over the limit gets 413, sized or chunked, and nothing changes', async () => {
    const big = join(work, 'big.bin')
    await writeFile(big, Buffer.alloc(300 * 1024, 7))
    const before = await snapshot(target)

    const sized = await curl([
      ...KEY,
      '-X',
      'PUT',
      '--data-binary',
      `@${big}`,
      `${h.taskUrl}/fs/local/site/big.bin`,
    ])
    const chunked = await curl([
      ...KEY,
      '-X',
      'PUT',
      '-H',
      'Transfer-Encoding: chunked',
      '--data-binary',
      `@${big}`,
      `${h.taskUrl}/fs/local/site/big.bin?clean=true`,
    ])

    assert.equal(sized.status, 413)
    assert.equal(chunked.status, 413)
    assert.deepEqual(await snapshot(target), before)
    // Work folders of earlier, successful uploads are removed after their reply.
    await waitFor(async () => (await leftovers(h)).length === 0)
  })

  test('too many entries or too many bytes once expanded are refused with 422', async () => {
    const many = await python(
      'many.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for i in range(60): z.writestr(f'f{i}.txt', 'x')`,
    )
    const bomb = await python(
      'bomb.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('zeros.bin', bytes(2 * 1024 * 1024))`,
    )

    const tooMany = await put(many)
    const tooBig = await put(bomb)

    assert.equal(tooMany.status, 422)
    assert.match(JSON.parse(tooMany.body).detail, /60 entries/)
    assert.equal(tooBig.status, 422)
    assert.match(JSON.parse(tooBig.body).detail, /expands to/)
  })

  test('a curl killed midway leaves the target as it was, clean=true included', async () => {
    const before = await snapshot(target)
    const body = join(work, 'slow.zip')
    await writeFile(body, Buffer.alloc(200 * 1024, 1))
    const client = spawn('curl', [
      '-s',
      '--limit-rate',
      '20K',
      ...KEY,
      ...ZIP,
      '-X',
      'PUT',
      '-T',
      body,
      `${h.taskUrl}/fs/local/site?clean=true`,
    ])
    const exited = new Promise((resolve) => client.once('exit', resolve))

    await waitFor(async () => (await leftovers(h)).length === 1)
    client.kill('SIGKILL')
    await exited
    await waitFor(async () => (await leftovers(h)).length === 0)

    assert.deepEqual(await snapshot(target), before)
  })

  for (const type of ['foo', 'application-zip', null]) {
    test(`a body sent as ${type ?? 'no content type'} reaches the disk while it still arrives`, async () => {
      const body = join(work, 'slow-typed.bin')
      await writeFile(body, Buffer.alloc(120 * 1024, 3))
      const typeArgs = type === null ? [] : ['-H', `Content-Type: ${type}`]
      const client = spawn('curl', [
        '-s',
        '-o',
        '/dev/null',
        '--limit-rate',
        '40K',
        ...KEY,
        ...typeArgs,
        '-X',
        'PATCH',
        '-T',
        body,
        `${h.taskUrl}/fs/local/site/slow.bin`,
      ])
      const exited = new Promise((resolve) => client.once('exit', resolve))

      // Part of the body on disk while curl is still sending: nothing holds it in memory.
      await waitFor(async () => (await bodyBytesOnDisk(h)) > 0 && client.exitCode === null)
      await exited
    })
  }

  test('PUT stops the pools around the swap and restores them; PATCH leaves them running', async () => {
    await fetch(h.driver.findTask(h.task.allocId, 'app')!.siteUrl!)
    const events: TaskEvent[] = []
    const unsubscribe = h.driver.onEvent((event) => events.push(event))
    const zipFile = await python(
      'app.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('index.html', 'put index')`,
    )

    const putResult = await put(zipFile, '')
    const eventsAfterPut = events.map((event) => event.annotations.kind)
    const status = JSON.parse((await curl([...KEY, `${h.taskUrl}/status`])).body)
    events.length = 0
    const patch = await curl([
      ...KEY,
      ...ZIP,
      '-X',
      'PATCH',
      '--data-binary',
      `@${zipFile}`,
      `${h.taskUrl}/fs/local/site`,
    ])
    unsubscribe()

    assert.equal(putResult.status, 200)
    assert.ok(eventsAfterPut.includes('poolStopped'), eventsAfterPut.join(','))
    assert.ok(eventsAfterPut.includes('poolStarted'), eventsAfterPut.join(','))
    assert.equal(status.applicationPool.status, 'Started')
    assert.equal(patch.status, 200)
    assert.deepEqual(
      events.map((event) => event.annotations.kind).filter((k) => k.startsWith('pool')),
      [],
    )
  })

  test('a pool that was stopped before a PUT stays stopped', async () => {
    await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/stop`])
    const zipFile = await python(
      'stopped.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('index.html', 'while stopped')`,
    )

    const result = await put(zipFile)
    const status = JSON.parse((await curl([...KEY, `${h.taskUrl}/status`])).body)
    await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/start`])

    assert.equal(result.status, 200)
    assert.equal(status.applicationPool.status, 'Stopped')
  })

  test('two uploads to the same task at once are serialised, never mixed', async () => {
    const zipA = await python(
      'a.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for i in range(40): z.writestr(f'a{i}.txt', 'a' * 1000)`,
    )
    const zipB = await python(
      'b.zip',
      `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for i in range(40): z.writestr(f'b{i}.txt', 'b' * 1000)`,
    )

    const [a, b] = await Promise.all([put(zipA), put(zipB)])
    const names = await readdir(target)

    assert.deepEqual([a.status, b.status], [200, 200])
    assert.equal(names.length, 40)
    assert.ok(
      names.every((n) => n.startsWith('a')) || names.every((n) => n.startsWith('b')),
      names.join(),
    )
  })
})

/**
 * Python lines, inside the ZipFile block, that add `sized.txt` (300 bytes,
 * deflated) and, once the archive is closed, set its declared size to
 * `size` in both the local header and the central directory.
 */
function shrinkSize(size: number): string {
  return `z.writestr('sized.txt', 'abc' * 100)
data = bytearray(open(sys.argv[1], 'rb').read())
for sig, at in ((b'PK\\x03\\x04', 22), (b'PK\\x01\\x02', 24)):
    start = 0
    while True:
        i = data.find(sig, start)
        if i < 0: break
        name_at = i + (30 if at == 22 else 46)
        if data[name_at:name_at + 9] == b'sized.txt': struct.pack_into('<I', data, i + at, ${size})
        start = i + 4
open(sys.argv[1], 'wb').write(bytes(data))`
}

/** Every path under `dir` with a hash of its content ('dir' for folders). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    result[path.slice(dir.length)] = entry.isDirectory()
      ? 'dir'
      : createHash('sha256')
          .update(await readFile(path))
          .digest('hex')
  }
  return result
}

/** Bytes of upload bodies in the work folders, 0 when there is none. */
async function bodyBytesOnDisk(h: Harness): Promise<number> {
  let total = 0
  for (const dir of await leftovers(h)) {
    const size = await stat(join(h.taskDir, dir, 'body')).then(
      (stats) => stats.size,
      () => 0,
    )
    total += size
  }
  return total
}

/** Upload work folders still in the task directory. */
async function leftovers(h: Harness): Promise<string[]> {
  for (;;) {
    // A work folder removed while the walk is in it makes readdir fail: walk again.
    const entries = await readdir(h.taskDir, { recursive: true }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    })
    if (entries !== null) {
      return entries.filter((entry) => entry.split('/').at(-1)!.startsWith('.nomad-iis-upload-'))
    }
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
