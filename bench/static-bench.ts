/**
 * Static file benchmark: requests/s and p99 latency with wrk (2 threads,
 * 100 connections) for a 1 KiB and a 1 MiB file, served through the site
 * host, by the pool's worker reached directly, and by a tuned nginx serving
 * the same directory, all in one run; then the ratios against the bars and
 * the idle RSS of the site host plus its worker.
 *
 * Run: npm run build && node dist/bench/static-bench.js
 * Env: BENCH_DURATION_S (default 10) per measurement, BENCH_WARMUP_S (default 2).
 * Only loopback addresses are used; everything started is stopped by pid.
 */
import { chmodSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { SiteHostClient, startSiteHost } from '../src/webhost/index.js'
import {
  DURATION_S,
  WARMUP_S,
  freePort,
  inWorkDir,
  measureWithWrk,
  oneApplicationSite,
  startNginx,
} from './bench-kit.js'
import type { WrkResult } from './bench-kit.js'

const FILES = [
  { name: '1 KiB', path: '/1k.txt', bytes: 1024 },
  { name: '1 MiB', path: '/1m.bin', bytes: 1024 * 1024 },
]

interface Result extends WrkResult {
  errors: string
}

let work = ''
let onCleanup: (cleanup: () => Promise<void> | void) => void = () => {}
await inWorkDir('static-bench-', async (dir, register) => {
  work = dir
  onCleanup = register
  await main()
})

async function main(): Promise<void> {
  const site = join(work, 'site')
  mkdirSync(site)
  // nginx's workers run as nobody: they must be able to read the files.
  chmodSync(work, 0o755)
  writeFileSync(join(site, '1k.txt'), 'x'.repeat(1024))
  writeFileSync(join(site, '1m.bin'), Buffer.alloc(1024 * 1024, 7))
  const cores = availableParallelism()
  const ports = {
    host: await freePort(),
    direct: await freePort(),
    garden: await freePort(),
    nginx: await freePort(),
  }

  const host = await startSite(site, ports.host, 1, ports.direct)
  await startSite(site, ports.garden, cores, 0)
  await startStaticNginx(site, ports.nginx)
  await fetch(`http://127.0.0.1:${ports.host}/1k.txt`).then((r) => r.arrayBuffer())
  const rss = await idleRss(host.pid, host.controlSocketPath)

  const rows: string[] = []
  const ratios: string[] = []
  let isPassing = rss.sumMiB <= 80
  for (const file of FILES) {
    const viaHost = await measure(ports.host, file.path)
    const direct = await measure(ports.direct, file.path)
    const viaGarden = await measure(ports.garden, file.path)
    const viaNginx = await measure(ports.nginx, file.path)
    rows.push(
      row(file.name, 'site host, 1 worker', viaHost),
      row(file.name, '1 worker direct', direct),
      row(file.name, `site host, ${cores} workers`, viaGarden),
      row(file.name, `nginx, ${cores} workers`, viaNginx),
    )
    const vsNginx = viaHost.requestsPerSecond / viaNginx.requestsPerSecond
    const gardenVsNginx = viaGarden.requestsPerSecond / viaNginx.requestsPerSecond
    const vsDirect = viaHost.requestsPerSecond / direct.requestsPerSecond
    isPassing &&= Math.max(vsNginx, gardenVsNginx) >= 0.7 && vsDirect >= 0.9
    ratios.push(
      `${file.name}: site host / nginx = ${vsNginx.toFixed(2)}x with 1 worker, ${gardenVsNginx.toFixed(2)}x with ${cores} (bar 0.70); ` +
        `site host / direct worker = ${vsDirect.toFixed(2)}x (bar 0.90)`,
    )
  }
  console.log(
    `static-bench: wrk -t2 -c100 -d${DURATION_S}s --latency after ${WARMUP_S}s warm-up; ${cores} cores`,
  )
  console.log('file    target                    req/s     p99 ms  errors')
  for (const r of rows) console.log(r)
  for (const r of ratios) console.log(r)
  console.log(
    `idle memory, site host + one worker: RSS ${rss.sumMiB.toFixed(1)} MiB (bar 80); ` +
      `without counting the shared node binary twice ${rss.uniqueMiB.toFixed(1)} MiB`,
  )
  console.log(`bars: ${isPassing ? 'all met' : 'NOT all met'}`)
}

async function startSite(
  root: string,
  port: number,
  maxProcesses: number,
  directPort: number,
): Promise<{ pid: number; controlSocketPath: string }> {
  const def = oneApplicationSite(`bench-${port}`, port, root, {
    maxProcesses,
    // Lets the benchmark reach the same worker without the site host.
    env: directPort > 0 ? { NOMAD_IIS_DIRECT_PORT: String(directPort) } : {},
  })
  const host = await startSiteHost(def, { stateDir: join(work, 'state') })
  onCleanup(async () => {
    const client = await SiteHostClient.connect(host.controlSocketPath)
    await client.shutdown(2000)
  })
  return host
}

async function startStaticNginx(root: string, port: number): Promise<void> {
  await startNginx({
    dir: join(work, 'nginx'),
    port,
    onCleanup,
    http: `  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }`,
  })
}

async function measure(port: number, path: string): Promise<Result> {
  const result = await measureWithWrk(`http://127.0.0.1:${port}${path}`)
  const isClean = result.non2xx === 0 && result.socketErrors === 0
  return {
    ...result,
    errors: isClean ? '-' : `non-2xx ${result.non2xx}, socket errors ${result.socketErrors}`,
  }
}

/**
 * Memory of the site host and its worker after one request, at rest: the
 * plain RSS sum, and the sum without counting twice the file-backed pages
 * (the node binary) that both processes map from the same file.
 */
async function idleRss(
  hostPid: number,
  socketPath: string,
): Promise<{ sumMiB: number; uniqueMiB: number }> {
  const client = await SiteHostClient.connect(socketPath)
  const status = await client.status()
  client.close()
  const worker = status.pools[0]?.workers[0]?.pid ?? hostPid
  await delay(1000)
  const [a, b] = [memory(hostPid), memory(worker)]
  return {
    sumMiB: (a.rss + b.rss) / 1024,
    uniqueMiB: (a.anon + b.anon + Math.max(a.file, b.file)) / 1024,
  }
}

function memory(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
  return { rss: kib('VmRSS'), anon: kib('RssAnon'), file: kib('RssFile') }
}

function row(file: string, target: string, r: Result): string {
  return `${file.padEnd(8)}${target.padEnd(24)}${r.requestsPerSecond.toFixed(0).padStart(8)}  ${r.p99Ms.toFixed(2).padStart(9)}  ${r.errors}`
}
