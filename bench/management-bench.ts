/**
 * Management API benchmark: each line compares us with the best peer on
 * this machine, in one run, on the same data (2,000 files, 200 MiB):
 *   upload+extract through the API  vs  unzip of the same archive
 *   folder download through the API vs  zip -r of the folder
 *   single-file download (1 MiB)    vs  nginx serving the same file (wrk)
 *   warm screenshot p50             vs  a cold chromium --headless --screenshot
 *   API process RSS while a 1 GiB file is uploaded
 * Ratios above 1 mean we are faster. Everything listens on 127.0.0.1, runs
 * a bounded number of times and is stopped by pid at the end.
 *
 * Run: npm run build && node dist/bench/management-bench.js
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/integration/management-harness.js'
import { CHROMIUM_ARGS } from '../src/management/browser-pool.js'

const FILE_COUNT = 2000
const TOTAL_BYTES = 200 * 1024 * 1024
const KEY = ['-H', 'X-Api-Key: bench-key']
/** The flags the API's own browser runs with, so the cold run is the same browser. */
const CHROMIUM_FLAGS = CHROMIUM_ARGS

interface ServerInfo {
  pid: number
  taskUrl: string
  taskDir: string
  siteUrl: string
}

// A closed stdout (`| head`) must not skip the clean-up below.
process.stdout.on('error', () => undefined)

const work = await mkdtemp(join(tmpdir(), 'nomad-iis-mgmt-bench-'))
const children: ChildProcess[] = []
try {
  const server = await startServer()
  await makeData(join(work, 'data'))
  time('zip', ['-qr', join(work, 'data.zip'), '.'], join(work, 'data'))
  await compareUpload(server)
  await compareFolderDownload(server)
  await compareFileDownload(server)
  await compareScreenshots(server)
  await measureUploadRss(server)
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  await Promise.all(children.map((child) => (child.exitCode === null ? once(child) : null)))
  await rm(work, { recursive: true, force: true })
}

async function compareUpload(server: ServerInfo): Promise<void> {
  const zipFile = join(work, 'data.zip')
  const [unzipMs, apiMs] = alternate(
    5,
    () => {
      spawnSync('rm', ['-rf', join(work, 'unzipped')])
      return time('unzip', ['-q', '-o', zipFile, '-d', join(work, 'unzipped')])
    },
    () =>
      // -T streams the file; --data-binary would read it whole into curl first.
      time('curl', [
        '-sf',
        '-o',
        '/dev/null',
        ...KEY,
        '-X',
        'PUT',
        '-H',
        'Content-Type: application/zip',
        '-T',
        zipFile,
        `${server.taskUrl}/fs/local/app?clean=true`,
      ]),
  )
  report('upload+extract 200 MiB / 2,000 files', 'unzip', unzipMs, apiMs)
  const bodyMs = time('curl', [
    '-sf',
    '-o',
    '/dev/null',
    ...KEY,
    '-X',
    'PATCH',
    '-T',
    zipFile,
    `${server.taskUrl}/fs/local/archive.zip`,
  ])
  console.log(
    `  of which receiving the ${(statSync(zipFile).size / 1024 ** 2).toFixed(0)} MiB body alone: ${bodyMs.toFixed(0)} ms`,
  )
}

async function compareFolderDownload(server: ServerInfo): Promise<void> {
  const [zipMs, apiMs] = alternate(
    5,
    () => {
      spawnSync('rm', ['-f', join(work, 'again.zip')])
      return time('zip', ['-qr', join(work, 'again.zip'), '.'], join(work, 'data'))
    },
    () =>
      time('curl', [
        '-sf',
        '-o',
        join(work, 'download.zip'),
        ...KEY,
        `${server.taskUrl}/fs/local/app`,
      ]),
  )
  const check = spawnSync('unzip', ['-tq', join(work, 'download.zip')])
  if (check.status !== 0)
    throw new Error(`the downloaded folder does not pass unzip -t: ${check.stdout}`)
  report('folder download 200 MiB / 2,000 files', 'zip -r', zipMs, apiMs)
}

/** Runs peer and ours in turns, so a busy neighbour slows both alike; medians. */
function alternate(runs: number, peer: () => number, ours: () => number): [number, number] {
  const peerMs: number[] = []
  const oursMs: number[] = []
  for (let i = 0; i < runs; i++) {
    // Flush what the previous run wrote, so neither side pays for the other's writeback.
    spawnSync('sync')
    peerMs.push(peer())
    spawnSync('sync')
    oursMs.push(ours())
  }
  return [medianOf(peerMs), medianOf(oursMs)]
}

async function compareFileDownload(server: ServerInfo): Promise<void> {
  const fileDir = join(work, 'nginx-root')
  await mkdir(fileDir, { recursive: true })
  const content = randomBytes(1024 * 1024)
  await writeFile(join(fileDir, 'file.bin'), content)
  await writeFile(join(server.taskDir, 'local', 'file.bin'), content)
  const port = await freePort()
  const nginx = await startNginx(fileDir, port)
  const nginxRps = wrk([`http://127.0.0.1:${port}/file.bin`])
  const apiRps = wrk(['-H', 'X-Api-Key: bench-key', `${server.taskUrl}/fs/local/file.bin`])
  nginx.kill('SIGTERM')
  await once(nginx)
  report('single file 1 MiB, requests/s (wrk -t2 -c8 -d5s)', 'nginx', 1 / nginxRps, 1 / apiRps, {
    peer: `${nginxRps.toFixed(0)} req/s`,
    ours: `${apiRps.toFixed(0)} req/s`,
  })
}

async function compareScreenshots(server: ServerInfo): Promise<void> {
  const shot = (): number =>
    time('curl', ['-sf', '-o', join(work, 'shot.png'), ...KEY, `${server.taskUrl}/screenshot`])
  shot()
  const warm = Array.from({ length: 9 }, shot)
  const cold = Array.from({ length: 3 }, () =>
    time('/usr/bin/chromium', [
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${join(work, `profile-${Math.random()}`)}`,
      '--window-size=1920,1080',
      `--screenshot=${join(work, 'cold.png')}`,
      server.siteUrl,
    ]),
  )
  report('screenshot p50', 'cold chromium --screenshot', medianOf(cold), medianOf(warm))
}

async function measureUploadRss(server: ServerInfo): Promise<void> {
  const big = join(work, 'big.bin')
  await writeFile(big, '')
  await truncate(big, 1024 ** 3)
  const baselineKib = rssKib(server.pid)
  let peakKib = baselineKib
  const upload = spawn('curl', [
    '-sf',
    '-o',
    '/dev/null',
    ...KEY,
    '-X',
    'PATCH',
    '-T',
    big,
    `${server.taskUrl}/fs/local/big.bin`,
  ])
  children.push(upload)
  const sampler = setInterval(() => (peakKib = Math.max(peakKib, rssKib(server.pid))), 50)
  await once(upload)
  clearInterval(sampler)
  const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`
  console.log(
    `api process RSS during a 1 GiB upload: ${mib(baselineKib)} before, ${mib(peakKib)} at peak (bar: < 200 MiB)`,
  )
}

async function startServer(): Promise<ServerInfo> {
  const script = fileURLToPath(new URL('./management-bench-server.js', import.meta.url))
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const lines = createInterface({ input: child.stdout! })
  for await (const line of lines) return JSON.parse(line) as ServerInfo
  throw new Error('the benchmark server exited before it was ready')
}

async function startNginx(root: string, port: number): Promise<ChildProcess> {
  const conf = join(work, 'nginx.conf')
  await writeFile(
    conf,
    `daemon off;
worker_processes 1;
pid ${join(work, 'nginx.pid')};
error_log ${join(work, 'nginx-error.log')};
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${work}; proxy_temp_path ${work}; fastcgi_temp_path ${work};
  uwsgi_temp_path ${work}; scgi_temp_path ${work};
  server { listen 127.0.0.1:${port}; root ${root}; }
}
`,
  )
  const nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: 'inherit' })
  children.push(nginx)
  for (let i = 0; i < 100; i++) {
    if (
      spawnSync('curl', ['-sf', '-o', '/dev/null', `http://127.0.0.1:${port}/file.bin`]).status ===
      0
    )
      return nginx
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('nginx did not start')
}

async function makeData(dir: string): Promise<void> {
  const perFile = TOTAL_BYTES / FILE_COUNT
  const words = 'static site assets script style image font json html manifest bundle chunk'.split(
    ' ',
  )
  for (let i = 0; i < FILE_COUNT; i++) {
    const sub = join(dir, `dir${i % 40}`, `sub${i % 7}`)
    await mkdir(sub, { recursive: true })
    // Half text-like (compressible), half binary (not), as a published web app is.
    const body =
      i % 2 === 0
        ? Buffer.from(
            Array.from({ length: perFile / 6 }, (_, k) => words[(k * 7 + i) % words.length])
              .join(' ')
              .slice(0, perFile),
          )
        : randomBytes(perFile)
    await writeFile(join(sub, `file${i}.${i % 2 === 0 ? 'js' : 'bin'}`), body)
  }
}

function wrk(args: string[]): number {
  const result = spawnSync('wrk', ['-t2', '-c8', '-d5s', ...args], { encoding: 'utf8' })
  const match = /Requests\/sec:\s+([\d.]+)/.exec(result.stdout)
  if (match === null) throw new Error(`wrk gave no rate: ${result.stdout}${result.stderr}`)
  return Number(match[1])
}

function time(file: string, args: string[], cwd?: string): number {
  const started = process.hrtime.bigint()
  const result = spawnSync(file, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6
  if (result.status !== 0)
    throw new Error(`${file} failed (${result.status}): ${String(result.stderr)}`)
  return elapsedMs
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function report(
  what: string,
  peer: string,
  peerMs: number,
  oursMs: number,
  labels?: { peer: string; ours: string },
): void {
  const peerLabel = labels?.peer ?? `${peerMs.toFixed(0)} ms`
  const oursLabel = labels?.ours ?? `${oursMs.toFixed(0)} ms`
  console.log(
    `${what}: ${peer} ${peerLabel}, api ${oursLabel}, ratio ${(peerMs / oursMs).toFixed(2)}x`,
  )
}

function rssKib(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
}

function once(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
}
