/**
 * Hosted-program benchmark. In one run, with wrk (2 threads, 100
 * connections): requests/s and p99 of a real Express program (the test
 * fixture, behind an iisnode web.config) reached through the site host,
 * reached directly, and reached through nginx proxying to it as a user would
 * set it up (upstream keepalive, HTTP/1.1, access log off); then the ratios
 * against the bars (>= 0.5x direct, >= 0.7x nginx). Then recycle under
 * load: 50 overlapped recycles while wrk runs, which must give zero non-2xx
 * answers and zero socket errors.
 *
 * Run: bash bench/hosted-bench.sh (builds first), or node dist/bench/hosted-bench-main.js
 * Env: BENCH_DURATION_S (default 10) per measurement, BENCH_WARMUP_S (default 2),
 * BENCH_RECYCLES (default 50).
 * Only loopback addresses are used; everything started is stopped by pid.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { SiteHostClient, startSiteHost } from '../src/webhost/index.js'
import {
  DURATION_S,
  WARMUP_S,
  freePort,
  inWorkDir,
  measureWithWrk,
  oneApplicationSite,
  parseWrk,
  startNginx,
} from './bench-kit.js'
import type { WrkResult } from './bench-kit.js'

const RECYCLES = Number(process.env.BENCH_RECYCLES ?? '50')
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PROGRAM = join(
  REPO_ROOT,
  'test',
  'fixtures',
  'hosted',
  'programs',
  'express-app',
  'server.js',
)
const PATH = '/bench'

type Result = WrkResult

let work = ''
let onCleanup: (cleanup: () => Promise<void> | void) => void = () => {}
await inWorkDir('hosted-bench-', async (dir, register) => {
  work = dir
  onCleanup = register
  await main()
})

async function main(): Promise<void> {
  chmodSync(work, 0o755)
  const app = join(work, 'app')
  mkdirSync(app)
  copyFileSync(PROGRAM, join(app, 'server.js'))
  writeFileSync(join(app, 'web.config'), iisnodeWebConfig())
  const hostPort = await freePort()
  const client = await startSite(app, hostPort)
  const programPort = await programPortOf(client)
  const nginxPort = await freePort()
  await startProxyNginx(programPort, nginxPort)

  const viaHost = await measure(hostPort)
  const direct = await measure(programPort)
  const viaNginx = await measure(nginxPort)
  const recycle = await recycleUnderLoad(hostPort, client)

  const vsDirect = viaHost.requestsPerSecond / direct.requestsPerSecond
  const vsNginx = viaHost.requestsPerSecond / viaNginx.requestsPerSecond
  const isRecycleClean = recycle.result.non2xx === 0 && recycle.result.socketErrors === 0
  const isPassing = vsDirect >= 0.5 && vsNginx >= 0.7 && isRecycleClean
  console.log(
    `hosted-bench: wrk -t2 -c100 -d${DURATION_S}s --latency ${PATH}, ${WARMUP_S}s warm-up each`,
  )
  console.log('target          req/s      p99 ms  non-2xx  socket errors')
  console.log(row('site host', viaHost))
  console.log(row('program direct', direct))
  console.log(row('nginx proxy', viaNginx))
  console.log(`site host / direct = ${vsDirect.toFixed(2)}x (bar 0.50)`)
  console.log(`site host / nginx  = ${vsNginx.toFixed(2)}x (bar 0.70)`)
  console.log(
    `recycle under load: ${recycle.count} recycles in ${recycle.seconds.toFixed(1)} s, ` +
      `${recycle.result.requestsPerSecond.toFixed(0)} req/s, non-2xx ${recycle.result.non2xx}, ` +
      `socket errors ${recycle.result.socketErrors} (bar: 0 and 0)`,
  )
  console.log(`bars: ${isPassing ? 'all met' : 'NOT all met'}`)
}

function iisnodeWebConfig(): string {
  return `<configuration><system.webServer>
  <handlers><add name="iisnode" path="server.js" verb="*" modules="iisnode" /></handlers>
</system.webServer></configuration>`
}

async function startSite(app: string, port: number): Promise<SiteHostClient> {
  const def = oneApplicationSite(`hosted-bench-${port}`, port, app, {
    env: { NODE_PATH: join(REPO_ROOT, 'node_modules'), NODE_ENV: 'production' },
  })
  const host = await startSiteHost(def, { stateDir: join(work, 'state') })
  const client = await SiteHostClient.connect(host.controlSocketPath)
  onCleanup(async () => {
    await client.shutdown(5000).catch(() => {})
    client.close()
  })
  return client
}

/** The program's port, as its module told it (PORT in its environment). */
async function programPortOf(client: SiteHostClient): Promise<number> {
  const status = await client.status()
  const worker = status.pools[0]?.workers.find((w) => w.kind === 'program')
  if (worker === undefined) throw new Error('the hosted program is not running')
  const environ = readFileSync(`/proc/${worker.pid}/environ`, 'utf8').split('\0')
  return Number(environ.find((e) => e.startsWith('PORT='))?.slice(5))
}

/** nginx as a user would put it in front of the program: upstream keepalive, HTTP/1.1. */
async function startProxyNginx(upstreamPort: number, port: number): Promise<ChildProcess> {
  return startNginx({
    dir: join(work, 'nginx'),
    port,
    onCleanup,
    http: `  upstream program {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://program;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host;
    }
  }`,
  })
}

async function measure(port: number): Promise<Result> {
  const url = `http://127.0.0.1:${port}${PATH}`
  return measureWithWrk(url)
}

/** wrk runs until told to stop (SIGINT makes it print its summary) while the pool recycles. */
async function recycleUnderLoad(
  port: number,
  client: SiteHostClient,
): Promise<{ count: number; seconds: number; result: Result }> {
  const wrk = spawn('wrk', [
    '-t2',
    '-c100',
    '-d600s',
    '--latency',
    `http://127.0.0.1:${port}${PATH}`,
  ])
  let stdout = ''
  wrk.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  const exited = new Promise((resolve) => wrk.once('exit', resolve))
  onCleanup(() => {
    if (wrk.exitCode === null) wrk.kill('SIGKILL')
  })
  await delay(1000)
  const startedMs = Date.now()
  for (let i = 0; i < RECYCLES; i++) await client.recyclePool('default')
  const seconds = (Date.now() - startedMs) / 1000
  await delay(1000)
  wrk.kill('SIGINT')
  await exited
  return { count: RECYCLES, seconds, result: parseWrk(stdout) }
}

function row(target: string, r: Result): string {
  const rps = r.requestsPerSecond.toFixed(0).padStart(6)
  const p99 = r.p99Ms.toFixed(2).padStart(9)
  return `${target.padEnd(16)}${rps}  ${p99}  ${String(r.non2xx).padStart(7)}  ${r.socketErrors}`
}
