/**
 * Shared set-up for the web host's integration tests: a site definition in a
 * fresh temp dir, a real site host process, and clean-up registered on the
 * test so no process, socket or directory outlives it.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import {
  isProcessAlive,
  POOL_DEFAULTS,
  SiteHostClient,
  startSiteHost,
} from '../../src/webhost/index.js'
import { after } from 'node:test'
import type {
  ApplicationDefinition,
  PoolDefinition,
  SiteDefinition,
  StartedSiteHost,
} from '../../src/webhost/index.js'

/** Anything clean-up can be registered on: a test's context or a suite's `suiteCleanup()`. */
export interface Cleanup {
  after: (fn: () => unknown) => void
}

/** Clean-up for a describe() block: runs registered functions, last first, after the suite. */
export function suiteCleanup(): Cleanup {
  const fns: (() => unknown)[] = []
  after(async () => {
    for (const fn of fns.reverse()) await fn()
  })
  return { after: (fn) => fns.push(fn) }
}

export interface Fixture {
  dir: string
  stateDir: string
  port: number
  def: SiteDefinition
  url: (path: string) => string
}

export interface StartedFixture extends Fixture {
  host: StartedSiteHost
  client: SiteHostClient
}

/** A temp dir removed after the test. */
export function tempDir(t: Cleanup): string {
  const dir = mkdtempSync(join(tmpdir(), 'webhost-test-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Writes files (path -> content) below `root`. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
  }
}

export function pool(key: string, overrides: Partial<PoolDefinition> = {}): PoolDefinition {
  return { ...POOL_DEFAULTS, key, name: `test-${key}`, env: {}, ...overrides }
}

export function app(
  alias: string,
  physicalPath: string,
  poolKey = 'default',
): ApplicationDefinition {
  return {
    alias,
    physicalPath,
    pool: poolKey,
    enablePreload: false,
    virtualDirectories: [],
    program: null,
  }
}

/** A port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new TypeError('no port')
  return address.port
}

/** A site definition with one binding on 127.0.0.1 and the given applications and pools. */
export async function makeSite(
  t: Cleanup,
  build: (dir: string) => { applications: ApplicationDefinition[]; pools: PoolDefinition[] },
): Promise<Fixture> {
  const dir = tempDir(t)
  const port = await freePort()
  const { applications, pools } = build(dir)
  const def: SiteDefinition = {
    name: `test-${port}`,
    owner: null,
    bindings: [{ protocol: 'http', port, ipAddress: '127.0.0.1', hostname: null }],
    applications,
    pools,
    stdoutPath: join(dir, 'stdout.log'),
    stderrPath: join(dir, 'stderr.log'),
  }
  return {
    dir,
    stateDir: join(dir, 'state'),
    port,
    def,
    url: (p) => `http://127.0.0.1:${port}${p}`,
  }
}

/** Starts the fixture's site host; the test's clean-up shuts it down (or kills it). */
export async function startSite(t: Cleanup, fixture: Fixture): Promise<StartedFixture> {
  const host = await startSiteHost(fixture.def, { stateDir: fixture.stateDir })
  t.after(() => stopHost(host.pid, host.controlSocketPath))
  const client = await SiteHostClient.connect(host.controlSocketPath)
  t.after(() => client.close())
  return { ...fixture, host, client }
}

/** Shuts a site host down over its control socket, and kills it (and its workers) if that fails. */
export async function stopHost(pid: number, socketPath: string): Promise<void> {
  const workers = await workerPids(pid)
  try {
    const client = await SiteHostClient.connect(socketPath)
    await client.shutdown(2000)
  } catch {
    killIfAlive(pid)
  }
  await waitFor(() => !isProcessAlive(pid), 'site host exit')
  for (const worker of workers) killIfAlive(worker)
}

/** Polls `condition` every 20 ms for at most `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await delay(20)
  }
}

/** Sends raw bytes and returns everything the server wrote until it closed (or reset) the connection. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') resolve(Buffer.concat(chunks).toString('latin1'))
      else reject(err)
    })
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.write(text)
  })
}

/** Status code of a raw GET for a path sent exactly as given (no client normalisation). */
export async function rawGetStatus(
  port: number,
  path: string,
): Promise<{ status: number; text: string }> {
  const text = await rawRequest(
    port,
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
  )
  return { status: Number(text.slice(9, 12)), text }
}

async function workerPids(hostPid: number): Promise<number[]> {
  const { readFile } = await import('node:fs/promises')
  try {
    const children = await readFile(`/proc/${hostPid}/task/${hostPid}/children`, 'utf8')
    return children.trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

function killIfAlive(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) return
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}
