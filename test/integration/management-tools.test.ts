/**
 * Lifecycle, screenshots (Chromium through playwright-core), process dumps
 * (procdump) and the debug endpoint, over a real site host, with the curl
 * examples of the IIS driver's page run as written.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Driver } from '../../src/driver/index.js'
import { ALLOC_ID, curl, layOutTask, run, startHarness } from './management-harness.js'
import type { Harness } from './management-harness.js'

const KEY = ['-H', 'X-Api-Key: 12345']
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
/** ELF e_type of a core file. */
const ET_CORE = 4

describe('lifecycle, screenshot, procdump and debug', () => {
  let h: Harness
  let work: string
  before(async () => {
    h = await startHarness({ apiKey: '12345' })
    work = await mkdtemp(join(tmpdir(), 'nomad-iis-mgmt-tools-'))
  })
  after(async () => {
    await h.close()
    await rm(work, { recursive: true, force: true })
  })

  function siteUrl(): string {
    return h.driver.findTask(ALLOC_ID, 'app')!.siteUrl!
  }

  async function poolState(): Promise<{ status: string; workerPids: number[] }> {
    return JSON.parse((await curl([...KEY, `${h.taskUrl}/status`])).body).applicationPool
  }

  test('stop, start and recycle are idempotent where the contract says so', async () => {
    const stopped = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/stop`])
    const stoppedAgain = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/stop`])
    const recycleStopped = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/recycle`])
    const started = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/start`])
    const startedAgain = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/start`])

    assert.equal(JSON.parse(stopped.body).applicationPool.status, 'Stopped')
    assert.equal(stoppedAgain.status, 200)
    assert.equal(recycleStopped.status, 409)
    assert.equal(JSON.parse(started.body).defaultApplicationPool.status, 'Started')
    assert.equal(startedAgain.status, 200)
  })

  test('recycle replaces the running worker and the driver reports it as a task event', async (t) => {
    await fetch(siteUrl())
    const before = await poolState()
    const kinds: string[] = []
    t.after(h.driver.onEvent((event) => kinds.push(event.annotations.kind ?? '')))

    const recycled = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/recycle`])
    await fetch(siteUrl())
    const after = await poolState()
    await waitFor(() => kinds.includes('poolRecycled'))

    assert.equal(recycled.status, 200)
    assert.equal(before.workerPids.length, 1)
    assert.notDeepEqual(after.workerPids, before.workerPids)
  })

  test('the screenshot example saves a full-page 1920 wide PNG under the contract name', async () => {
    const result = await run(
      'bash',
      [
        '-c',
        `curl -X GET -O -D headers.txt \\
  -H "X-Api-Key: 12345" \\
  ${h.base}/api/v1/allocs/${ALLOC_ID}/app/screenshot`,
      ],
      { cwd: work },
    )

    assert.equal(result.code, 0, result.stderr)
    const png = await readFile(join(work, 'screenshot'))
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE)
    assert.equal(png.readUInt32BE(16), 1920)
    assert.ok(png.readUInt32BE(20) >= 1080)
    const headers = await readFile(join(work, 'headers.txt'), 'utf8')
    assert.match(headers, /content-type: image\/png/i)
    assert.match(
      headers,
      new RegExp(
        `filename="screenshot_${ALLOC_ID}_app_\\d{4}-\\d\\d-\\d\\d-\\d\\d-\\d\\d-\\d\\d\\.png"`,
      ),
    )
  })

  test('a screenshot of a missing page photographs the 404 page, and a bad path is 400', async () => {
    const missing = await run('curl', [
      '-s',
      '-o',
      join(work, 'missing.png'),
      '-w',
      '%{http_code}',
      ...KEY,
      `${h.taskUrl}/screenshot?path=/nothing-here`,
    ])
    const badPaths = await Promise.all(
      ['http://example.com/', '//example.com/', 'relative'].map((path) =>
        curl([...KEY, '-G', '--data-urlencode', `path=${path}`, `${h.taskUrl}/screenshot`]),
      ),
    )

    assert.equal(missing.stdout, '200')
    assert.ok((await stat(join(work, 'missing.png'))).size > 1000)
    assert.deepEqual(
      badPaths.map((r) => r.status),
      [400, 400, 400],
    )
  })

  test('the procdump example streams a core dump of the worker and deletes it afterwards', async () => {
    await fetch(siteUrl())
    const { workerPids } = await poolState()

    const result = await run(
      'bash',
      [
        '-c',
        `curl -X GET -O -D headers.txt \\
  -H "X-Api-Key: 12345" \\
  ${h.base}/api/v1/allocs/${ALLOC_ID}/app/procdump`,
      ],
      { cwd: work },
    )

    assert.equal(result.code, 0, result.stderr)
    const header = Buffer.alloc(18)
    const file = await open(join(work, 'procdump'))
    await file.read(header, 0, 18, 0)
    await file.close()
    assert.deepEqual(header.subarray(0, 4), Buffer.from('\x7fELF', 'latin1'))
    assert.equal(header.readUInt16LE(16), ET_CORE)
    const headers = await readFile(join(work, 'headers.txt'), 'utf8')
    assert.match(headers, new RegExp(`filename="procdump_${ALLOC_ID}_app_[-\\d]{19}\\.dmp"`))
    assert.equal(workerPids.length, 1)
    await rm(join(work, 'procdump'))
    const temp = (
      await run('bash', ['-c', `ls -d ${tmpdir()}/nomad-iis-procdump-* 2>/dev/null | wc -l`])
    ).stdout
    assert.equal(temp.trim(), '0')
  })

  test('procdump answers 404 for an unknown pool, 409 without a worker or EULA, 503 when missing', async () => {
    const unknown = await curl([...KEY, `${h.taskUrl}/procdump?appPoolName=nope`])
    await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/stop`])
    const noWorker = await curl([...KEY, `${h.taskUrl}/procdump`])
    await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/start`])
    h.driverConfig.procdump = { binaryPath: '/usr/bin/procdump', acceptEula: false }
    const noEula = await curl([...KEY, `${h.taskUrl}/procdump`])
    h.driverConfig.procdump = { binaryPath: join(work, 'no-procdump'), acceptEula: true }
    const missing = await curl([...KEY, `${h.taskUrl}/procdump`])
    h.driverConfig.procdump = { binaryPath: '/usr/bin/procdump', acceptEula: true }

    assert.equal(unknown.status, 404)
    assert.equal(noWorker.status, 409)
    assert.match(JSON.parse(noWorker.body).detail, /no worker process/)
    assert.equal(noEula.status, 409)
    assert.match(JSON.parse(noEula.body).detail, /accept_eula/)
    assert.equal(missing.status, 503)
    assert.match(JSON.parse(missing.body).detail, /not installed/)
  })

  test('debug lists the handle and flags a site no live handle owns as dangling', async (t) => {
    const other = new Driver({ config: h.driverConfig })
    const task = await layOutTask(h.tempDir, 'OnDemand', '11111111-2222-3333-4444-555555555555')
    await other.startTask(task)
    t.after(async () => {
      await other.stopTask(task.id, 5000, 'SIGTERM').catch(() => undefined)
      await other.destroyTask(task.id, true).catch(() => undefined)
      await other.close()
    })

    const body = JSON.parse((await curl([...KEY, `${h.base}/api/v1/debug`])).body)

    assert.equal(body.iisHandleCount, 1)
    assert.equal(body.iisHandles[0].allocId, ALLOC_ID)
    assert.equal(body.iisHandles[0].appPoolName, `nomad-${ALLOC_ID}-app`)
    assert.equal(body.danglingIisWebsites, 1)
    const dangling = body.iisWebsites.find((site: { isDangling: boolean }) => site.isDangling)
    assert.equal(dangling.name, `nomad-${task.allocId}-app`)
  })
})

describe('a task with one pool stopped by a bad web.config', () => {
  let h: Harness
  before(async () => {
    h = await startHarness({ apiKey: '12345', withBadPool: true, startMode: 'AlwaysRunning' })
  })
  after(() => h.close())

  interface PoolBody {
    name: string
    status: string
    workerPids: number[]
    lastError: string | null
  }
  function siteUrl(): string {
    return h.driver.findTask(ALLOC_ID, 'app')!.siteUrl!
  }
  async function pools(): Promise<PoolBody[]> {
    return JSON.parse((await curl([...KEY, `${h.taskUrl}/status`])).body).applicationPools
  }

  test('the status says why the pool stopped in lastError, and null for the healthy one', async () => {
    const [healthy, bad] = await pools()

    assert.equal(healthy.name, 'default')
    assert.equal(healthy.lastError, null)
    assert.equal(bad.name, 'bad')
    assert.equal(bad.status, 'Stopped')
    assert.match(bad.lastError ?? '', /web\.config is not well-formed/)
  })

  test('recycle recycles the started pool and leaves the stopped one stopped', async (t) => {
    const [before] = await pools()
    const kinds: string[] = []
    t.after(h.driver.onEvent((event) => kinds.push(event.annotations.kind ?? '')))

    const recycled = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/recycle`])
    const body = JSON.parse(recycled.body)
    await waitFor(() => kinds.includes('poolRecycled'))
    const [healthy, bad] = await pools()

    assert.equal(recycled.status, 200, recycled.body)
    assert.equal(body.applicationPools[1].status, 'Stopped')
    assert.equal(before.workerPids.length, 1)
    assert.equal(healthy.status, 'Started')
    assert.notDeepEqual(healthy.workerPids, before.workerPids)
    assert.equal(bad.status, 'Stopped')
  })

  test('a PUT upload starts again only the pool that ran: the stopped one stays stopped', async () => {
    const result = await curl([
      ...KEY,
      '-X',
      'PUT',
      '-H',
      'Content-Type: text/plain',
      '--data-binary',
      'uploaded',
      `${h.taskUrl}/fs/local/uploaded.txt`,
    ])
    const [healthy, bad] = await pools()

    assert.equal(result.status, 200, result.body)
    assert.equal(healthy.status, 'Started')
    assert.equal(bad.status, 'Stopped')
    assert.equal(await (await fetch(`${siteUrl()}uploaded.txt`)).text(), 'uploaded')
  })

  test('recycle is 409 once no pool is started', async (t) => {
    t.after(async () => {
      await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/start`])
    })
    await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/stop`])

    const recycled = await curl([...KEY, '-X', 'PUT', `${h.taskUrl}/recycle`])

    assert.equal(recycled.status, 409)
    assert.match(JSON.parse(recycled.body).detail, /no application pool of the task is started/)
  })
})

describe('a screenshot of a site that leads elsewhere', () => {
  let h: Harness
  let other: Server
  const otherHits: string[] = []
  before(async () => {
    h = await startHarness({ apiKey: '12345', withRedirectApp: true })
    other = createServer((request, response) => {
      otherHits.push(request.url ?? '')
      response.end('<h1>another loopback service</h1>')
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
  })
  after(async () => {
    // Chromium may preconnect to origins it sees in the page, without sending a request.
    other.closeAllConnections()
    await new Promise((resolve) => other.close(resolve))
    await h.close()
  })

  function otherUrl(path: string): string {
    return `http://127.0.0.1:${(other.address() as AddressInfo).port}${path}`
  }

  test('a 302 to the API is not followed: no picture of the API, a 502 naming the origin', async () => {
    await writeFile(join(h.taskDir, 'local/hop/location.txt'), `${h.base}/api/v1/debug`)

    const result = await curl([...KEY, `${h.taskUrl}/screenshot?path=/hop/`])

    assert.equal(result.status, 502, result.body.slice(0, 200))
    const problem = JSON.parse(result.body)
    assert.equal(problem.code, 'ERR_MANAGEMENT_NAVIGATION_BLOCKED')
    assert.ok(problem.detail.includes(new URL(h.base).origin), problem.detail)
  })

  test('a 302 to another loopback service never reaches it', async () => {
    await writeFile(join(h.taskDir, 'local/hop/location.txt'), otherUrl('/redirected'))

    const result = await curl([...KEY, `${h.taskUrl}/screenshot?path=/hop/`])

    assert.equal(result.status, 502)
    assert.deepEqual(otherHits, [])
  })

  test('subresources and frames of another origin are not fetched, the page is still photographed', async (t) => {
    const page = join(h.taskDir, 'local/leaky.html')
    t.after(() => rm(page, { force: true }))
    await writeFile(
      page,
      `<h1>leaky</h1><img src="${otherUrl('/img.png')}"><iframe src="${otherUrl('/frame')}"></iframe>` +
        `<script>fetch(${JSON.stringify(otherUrl('/fetch'))}).catch(() => {})</script>`,
    )

    const result = await run('curl', [
      '-s',
      ...KEY,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `${h.taskUrl}/screenshot?path=/leaky.html`,
    ])

    assert.equal(result.stdout, '200')
    assert.deepEqual(otherHits, [])
  })
})

describe('screenshots without a browser', () => {
  test('answer 503 naming the missing Chromium', async (t) => {
    const h = await startHarness({ driverConfig: { chromiumPath: '/nonexistent/chromium' } })
    t.after(() => h.close())

    const result = await curl([`${h.taskUrl}/screenshot`])

    assert.equal(result.status, 503)
    assert.match(
      JSON.parse(result.body).detail,
      /Chromium is not installed at '\/nonexistent\/chromium'/,
    )
  })
})

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
