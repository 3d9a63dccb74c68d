/**
 * The static worker seen from outside: a real site host and worker, real
 * HTTP clients (fetch, raw sockets and curl).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { before, describe, it } from 'node:test'
import { promisify } from 'node:util'
import {
  app,
  makeSite,
  pool,
  rawGetStatus,
  startSite,
  suiteCleanup,
  tempDir,
  waitFor,
  writeFiles,
} from './webhost-fixture.js'
import type { StartedFixture } from './webhost-fixture.js'

const run = promisify(execFile)
const BIG = Buffer.alloc(6 * 1024 * 1024, 'x')

describe('the static worker', () => {
  let site: StartedFixture
  let outside: string

  const ctx = suiteCleanup()

  before(async () => {
    outside = tempDir(ctx)
    writeFiles(outside, { 'secret.txt': 'top secret' })
    const fixture = await makeSite(ctx, (dir) => {
      const root = join(dir, 'site')
      writeFiles(root, {
        'index.html': '<p>index</p>',
        'Default.htm': '<p>default</p>',
        'docs/index.html': '<p>docs</p>',
        'only-index/index.htm': '<p>index.htm</p>',
        'empty/readme.md': '# not a default document',
        'style.css': 'body{}',
        'app.js': 'let a = 1',
        'data.unknownext': 'x',
        'Images/Logo.PNG': 'png',
        'numbers.txt': '0123456789',
        'big.bin': BIG,
        'web.config': '<?xml version="1.0"?>\n<configuration />',
        'bin/app.dll': 'dll',
        'App_Data/db.txt': 'db',
        'app_code/x.txt': 'code',
        'App_Themes/t.css': 'theme',
        'sub/bin/deep.txt': 'deep',
      })
      symlinkSync(join(outside, 'secret.txt'), join(root, 'escape.txt'))
      symlinkSync(outside, join(root, 'escape-dir'))
      writeFileSync(join(root, 'inside-target.txt'), 'inside')
      symlinkSync(join(root, 'inside-target.txt'), join(root, 'inside-link.txt'))
      return { applications: [app('/', root)], pools: [pool('default')] }
    })
    site = await startSite(ctx, fixture)
  })

  it('serves IIS default documents in IIS order', async () => {
    assert.equal(await (await fetch(site.url('/'))).text(), '<p>default</p>')
    assert.equal(await (await fetch(site.url('/docs/'))).text(), '<p>docs</p>')
    assert.equal(await (await fetch(site.url('/only-index/'))).text(), '<p>index.htm</p>')
  })

  it('answers a directory without a default document with 403 and no listing', async () => {
    const res = await fetch(site.url('/empty/'))

    assert.equal(res.status, 403)
    assert.doesNotMatch(await res.text(), /readme/)
  })

  it('redirects a directory without its trailing slash and keeps the query', async () => {
    const res = await fetch(site.url('/docs?x=1&y=2'), { redirect: 'manual' })

    assert.equal(res.status, 301)
    assert.equal(res.headers.get('location'), '/docs/?x=1&y=2')
  })

  it('sends MIME types from the library and 404 for an unknown extension', async () => {
    assert.equal((await fetch(site.url('/style.css'))).headers.get('content-type'), 'text/css')
    assert.equal((await fetch(site.url('/app.js'))).headers.get('content-type'), 'text/javascript')
    assert.equal((await fetch(site.url('/data.unknownext'))).status, 404)
  })

  it('matches a path case-insensitively when no exact match exists', async () => {
    const res = await fetch(site.url('/images/logo.png'))

    assert.equal(res.status, 200)
    assert.equal(await res.text(), 'png')
  })

  it('answers conditional GETs with 304 for a matching ETag or an unmodified date', async () => {
    const first = await fetch(site.url('/numbers.txt'))
    const etag = first.headers.get('etag') ?? ''
    const lastModified = first.headers.get('last-modified') ?? ''
    await first.text()

    const byEtag = await fetch(site.url('/numbers.txt'), { headers: { 'If-None-Match': etag } })
    const byDate = await fetch(site.url('/numbers.txt'), {
      headers: { 'If-Modified-Since': lastModified },
    })
    const stale = await fetch(site.url('/numbers.txt'), { headers: { 'If-None-Match': '"other"' } })

    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/)
    assert.equal(byEtag.status, 304)
    assert.equal(byDate.status, 304)
    assert.equal(stale.status, 200)
  })

  it('answers HEAD with the headers of GET and no body', async () => {
    const res = await fetch(site.url('/numbers.txt'), { method: 'HEAD' })

    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-length'), '10')
    assert.equal(await res.text(), '')
  })

  it('serves single byte ranges, suffix ranges and 416 beyond the end', async () => {
    const middle = await fetch(site.url('/numbers.txt'), { headers: { Range: 'bytes=2-4' } })
    const suffix = await fetch(site.url('/numbers.txt'), { headers: { Range: 'bytes=-3' } })
    const beyond = await fetch(site.url('/numbers.txt'), { headers: { Range: 'bytes=50-' } })

    assert.equal(middle.status, 206)
    assert.equal(middle.headers.get('content-range'), 'bytes 2-4/10')
    assert.equal(await middle.text(), '234')
    assert.equal(await suffix.text(), '789')
    assert.equal(beyond.status, 416)
    assert.equal(beyond.headers.get('content-range'), 'bytes */10')
  })

  it('ignores a Range whose If-Range no longer matches', async () => {
    const res = await fetch(site.url('/numbers.txt'), {
      headers: { Range: 'bytes=0-1', 'If-Range': '"old"' },
    })

    assert.equal(res.status, 200)
    assert.equal(await res.text(), '0123456789')
  })

  it('streams a file larger than the cache limit, whole and by range', async () => {
    const whole = Buffer.from(await (await fetch(site.url('/big.bin'))).arrayBuffer())
    const tail = await fetch(site.url('/big.bin'), {
      headers: { Range: `bytes=${BIG.length - 5}-` },
    })

    assert.equal(whole.length, BIG.length)
    assert.equal(await tail.text(), 'xxxxx')
  })

  it('never serves web.config, bin or App_* segments, in any case', async () => {
    for (const path of [
      '/web.config',
      '/WEB.CONFIG',
      '/bin/app.dll',
      '/BIN/app.dll',
      '/App_Data/db.txt',
      '/APP_CODE/x.txt',
      '/app_themes/t.css',
      '/sub/bin/deep.txt',
    ]) {
      assert.equal((await fetch(site.url(path))).status, 404, path)
    }
  })

  it('keeps raw and percent-encoded traversal inside the application', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/..%5csecret.txt',
      '/docs/../../secret.txt',
      '/%252e%252e/secret.txt',
      '/..\\secret.txt',
    ]) {
      const { status, text } = await rawGetStatus(site.port, path)
      assert.ok(status === 400 || status === 404, `${path} gave ${status}`)
      assert.doesNotMatch(text, /top secret/, path)
    }
  })

  it('refuses symlinks that point outside the application but follows those inside', async () => {
    assert.equal((await fetch(site.url('/escape.txt'))).status, 404)
    assert.equal((await fetch(site.url('/escape-dir/secret.txt'))).status, 404)
    assert.equal(await (await fetch(site.url('/inside-link.txt'))).text(), 'inside')
  })

  it('serves a changed file after the cache notices the change', async () => {
    const file = join(site.dir, 'site', 'numbers.txt')
    await (await fetch(site.url('/numbers.txt'))).text()

    writeFileSync(file, 'changed!')
    utimesSync(file, new Date(), new Date(Date.now() + 5000))

    await waitFor(
      async () => (await (await fetch(site.url('/numbers.txt'))).text()) === 'changed!',
      'new content',
    )
    writeFileSync(file, '0123456789')
    await waitFor(
      async () => (await (await fetch(site.url('/numbers.txt'))).text()) === '0123456789',
      'old content',
    )
  })

  it('gives curl the same answers, traversal sent as-is included', async () => {
    const ok = await run('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{content_type}',
      site.url('/style.css'),
    ])
    const traversal = await run('curl', [
      '-s',
      '--path-as-is',
      '-o',
      '-',
      '-w',
      '\n%{http_code}',
      site.url('/../secret.txt'),
    ])
    const ranged = await run('curl', ['-s', '-r', '0-3', site.url('/numbers.txt')])

    assert.equal(ok.stdout, '200 text/css')
    assert.match(traversal.stdout, /\n40[04]$/)
    assert.doesNotMatch(traversal.stdout, /top secret/)
    assert.equal(ranged.stdout, '0123')
  })
})
