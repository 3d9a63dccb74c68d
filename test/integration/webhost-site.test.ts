/**
 * A site host as a process of its own: routing, bindings, start failures,
 * the registry and exit record, and outliving the process that started it.
 */
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { createReadStream, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import {
  isProcessAlive,
  readExitRecord,
  readRegistry,
  SiteHostClient,
  startSiteHost,
} from '../../src/webhost/index.js'
import {
  app,
  makeSite,
  pool,
  rawRequest,
  startSite,
  stopHost,
  waitFor,
  writeFiles,
} from './webhost-fixture.js'
import type { StartedSiteHost } from '../../src/webhost/index.js'

const run = promisify(execFile)

describe('a site host', () => {
  it('routes by the longest alias, case-insensitively, and serves virtual directories', async (t) => {
    const fixture = await makeSite(t, (dir) => {
      writeFiles(dir, {
        'root/index.html': 'root',
        'root/shop/index.html': 'root-shop',
        'shop/index.html': 'shop app',
        'shop-media/pic.txt': 'shop media',
        'manuals/guide.txt': 'guide',
      })
      const root = app('/', join(dir, 'root'))
      root.virtualDirectories = [{ alias: '/docs', physicalPath: join(dir, 'manuals') }]
      const shop = app('/shop', join(dir, 'shop'))
      shop.virtualDirectories = [{ alias: '/shop/media', physicalPath: join(dir, 'shop-media') }]
      return { applications: [root, shop], pools: [pool('default')] }
    })
    const site = await startSite(t, fixture)

    const texts = await Promise.all(
      ['/', '/shop/', '/SHOP/', '/Shop/Media/pic.txt', '/docs/guide.txt'].map(async (p) =>
        (await fetch(site.url(p))).text(),
      ),
    )

    assert.deepEqual(texts, ['root', 'shop app', 'shop app', 'shop media', 'guide'])
    assert.equal(
      (await fetch(site.url('/shop'), { redirect: 'manual' })).headers.get('location'),
      '/shop/',
    )
  })

  it('answers a Host no binding accepts with 400 Invalid Hostname, on new and kept-alive connections', async (t) => {
    const fixture = await makeSite(t, (dir) => {
      writeFiles(dir, { 'root/index.html': 'hello' })
      return { applications: [app('/', join(dir, 'root'))], pools: [pool('default')] }
    })
    fixture.def.bindings[0].hostname = 'www.example.test'
    const site = await startSite(t, fixture)
    const ask = (host: string, more = ''): Promise<string> =>
      rawRequest(site.port, `${more}GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)

    const wrong = await ask('other.test')
    const right = await ask('WWW.example.test:1234')
    const wrongOnKeptAlive = await ask(
      'other.test',
      'GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n',
    )

    assert.match(wrong, /^HTTP\/1\.1 400 [^]*Invalid Hostname/)
    assert.match(right, /^HTTP\/1\.1 200 [^]*hello$/)
    assert.match(wrongOnKeptAlive, /^HTTP\/1\.1 200 [^]*HTTP\/1\.1 400 [^]*Invalid Hostname/)
  })

  it('refuses an https binding with a clear error and starts nothing', async (t) => {
    const fixture = await makeSite(t, (dir) => ({
      applications: [app('/', dir)],
      pools: [pool('default')],
    }))
    fixture.def.bindings[0].protocol = 'https'

    await assert.rejects(startSiteHost(fixture.def, { stateDir: fixture.stateDir }), {
      code: 'ERR_WEBHOST_HTTPS_UNSUPPORTED',
    })
    assert.deepEqual(await readRegistry(fixture.stateDir), [])
  })

  it('fails on a port in use and leaves no process, socket or registry entry', async (t) => {
    const fixture = await makeSite(t, (dir) => ({
      applications: [app('/', dir)],
      pools: [pool('default')],
    }))
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(fixture.port, '127.0.0.1', resolve))
    t.after(() => blocker.close())

    await assert.rejects(startSiteHost(fixture.def, { stateDir: fixture.stateDir }), {
      code: 'ERR_WEBHOST_PORT_IN_USE',
      message: new RegExp(`port ${fixture.port}`),
    })

    assert.deepEqual(await readRegistry(fixture.stateDir), [])
    assert.deepEqual(listOrEmpty(join(fixture.stateDir, 'run')), [])
  })

  it('keeps a registry entry while running and leaves a clean exit record after shutdown', async (t) => {
    const fixture = await makeSite(t, (dir) => ({
      applications: [app('/', dir)],
      pools: [pool('default')],
    }))
    fixture.def.owner = {
      allocId: 'a1',
      taskName: 'web',
      taskId: 'a1/web/1',
      jobName: 'j',
      jobId: 'j',
      namespace: 'default',
      taskGroupName: 'g',
    }
    const host = await startSiteHost(fixture.def, { stateDir: fixture.stateDir })
    t.after(() => stopHost(host.pid, host.controlSocketPath))

    const [entry] = await readRegistry(fixture.stateDir)
    const client = await SiteHostClient.connect(host.controlSocketPath)
    await client.shutdown(2000)
    await waitFor(() => !isProcessAlive(host.pid), 'site host exit')

    assert.equal(entry?.pid, host.pid)
    assert.equal(entry?.definition.owner?.allocId, 'a1')
    assert.equal(entry?.controlSocketPath, host.controlSocketPath)
    assert.deepEqual(await readRegistry(fixture.stateDir), [])
    assert.equal((await readExitRecord(fixture.stateDir, fixture.def.name))?.exitCode, 0)
    assert.equal((await readExitRecord(fixture.stateDir, fixture.def.name))?.error, '')
  })

  it('writes its log to FIFOs as Nomad hands them out, without blocking on them', async (t) => {
    const fixture = await makeSite(t, (dir) => {
      writeFiles(dir, { 'root/index.html': 'fifo' })
      return { applications: [app('/', join(dir, 'root'))], pools: [pool('default')] }
    })
    const stdoutFifo = join(fixture.dir, 'task.stdout.fifo')
    const stderrFifo = join(fixture.dir, 'task.stderr.fifo')
    await run('mkfifo', [stdoutFifo, stderrFifo])
    fixture.def.stdoutPath = stdoutFifo
    fixture.def.stderrPath = stderrFifo
    let logged = ''
    const reader = createReadStream(stderrFifo)
    reader.on('data', (chunk) => (logged += chunk.toString()))
    const outReader = createReadStream(stdoutFifo)
    outReader.resume()
    t.after(() => {
      reader.destroy()
      outReader.destroy()
    })

    const site = await startSite(t, fixture)
    const body = await (await fetch(site.url('/'))).text()
    await waitFor(() => logged.includes('worker process started'), 'worker start logged')

    assert.equal(body, 'fifo')
    assert.match(logged, /"msg":"site host started"/)
  })

  it('answers control requests for an unknown pool with an error and refuses use after close', async (t) => {
    const fixture = await makeSite(t, (dir) => ({
      applications: [app('/', dir)],
      pools: [pool('default')],
    }))
    const site = await startSite(t, fixture)
    const second = await SiteHostClient.connect(site.host.controlSocketPath)
    const closed = new Promise((resolve) => second.once('close', resolve))

    await assert.rejects(site.client.stopPool('nope'), {
      code: 'ERR_WEBHOST_UNKNOWN_POOL',
      message: /"nope"/,
    })
    second.close()
    second.close()
    await closed

    await assert.rejects(second.status(), { code: 'ERR_WEBHOST_CONTROL_CLOSED' })
    assert.equal((await site.client.status()).pools[0]?.state, 'Started')
  })

  it('keeps serving after the process that started it was killed with SIGKILL', async (t) => {
    const fixture = await makeSite(t, (dir) => {
      writeFiles(dir, { 'root/index.html': 'still here' })
      return { applications: [app('/', join(dir, 'root'))], pools: [pool('default')] }
    })
    const starter = spawn(process.execPath, [STARTER], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    starter.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    t.after(() => starter.kill('SIGKILL'))
    starter.stdin.end(JSON.stringify({ def: fixture.def, stateDir: fixture.stateDir }))
    const line = await firstLine(starter.stdout).catch((err: Error) => {
      throw new Error(`${err.message}: ${stderr}`)
    })
    const host = JSON.parse(line) as StartedSiteHost
    t.after(() => stopHost(host.pid, host.controlSocketPath))

    starter.kill('SIGKILL')
    await new Promise((resolve) => starter.once('exit', resolve))

    assert.ok(isProcessAlive(host.pid))
    assert.equal(await (await fetch(fixture.url('/'))).text(), 'still here')
  })
})

const STARTER = fileURLToPath(new URL('./webhost-starter.js', import.meta.url))

function listOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream })
    lines.once('line', (line) => {
      resolve(line)
      lines.close()
    })
    lines.once('close', () => reject(new Error('starter exited without a line')))
  })
}
