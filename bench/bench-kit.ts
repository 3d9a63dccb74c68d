/**
 * What every benchmark script shares: loopback ports, a wrk run and its
 * parsed summary, and a work dir removed with everything registered on it.
 * Only loopback addresses are used.
 *
 * @module
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { promisify } from 'node:util'
import { POOL_DEFAULTS } from '../src/webhost/index.js'
import type { PoolDefinition, SiteDefinition } from '../src/webhost/index.js'

const run = promisify(execFile)

/** Seconds per measurement and per warm-up, from BENCH_DURATION_S / BENCH_WARMUP_S. */
export const DURATION_S = Number(process.env.BENCH_DURATION_S ?? '10')
export const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? '2')

export interface WrkResult {
  requestsPerSecond: number
  p99Ms: number
  non2xx: number
  socketErrors: number
}

type Cleanup = () => Promise<void> | void

/**
 * Runs `main` with a fresh temp dir; afterwards runs every cleanup it
 * registered (last first), then removes the dir, whatever happened.
 */
export async function inWorkDir(
  prefix: string,
  main: (work: string, onCleanup: (cleanup: Cleanup) => void) => Promise<void>,
): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), prefix))
  const cleanups: Cleanup[] = [() => rmSync(work, { recursive: true, force: true })]
  try {
    await main(work, (cleanup) => cleanups.push(cleanup))
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup()
  }
}

/** wrk -t2 -c100 against a loopback URL: a warm-up, then the measured run. */
export async function measureWithWrk(url: string): Promise<WrkResult> {
  if (WARMUP_S > 0) await run('wrk', ['-t2', '-c100', `-d${WARMUP_S}s`, url])
  const { stdout } = await run('wrk', ['-t2', '-c100', `-d${DURATION_S}s`, '--latency', url])
  return parseWrk(stdout)
}

/** Reads wrk's summary (run with --latency for the p99). */
export function parseWrk(stdout: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout)
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\b/m.exec(stdout)
  const scale = p99?.[2] === 'us' ? 0.001 : p99?.[2] === 's' ? 1000 : 1
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return {
    requestsPerSecond: Number(rps?.[1] ?? 0),
    p99Ms: Number(p99?.[1] ?? NaN) * scale,
    non2xx: Number(non2xx?.[1] ?? 0),
    socketErrors,
  }
}

/** Resolves once something accepts connections on the loopback port (5 s at most). */
export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const isOpen = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (isOpen) return
    await delay(25)
  }
  throw new Error(`nothing listens on port ${port}`)
}

export { freePort } from '../test/integration/wait.js'

/**
 * Runs nginx in the foreground from a config of its own in `dir`: `http`
 * is the body of the http block (servers, upstreams, tuning). Temp paths,
 * the pid file and the error log stay in `dir`; nginx is stopped (SIGQUIT,
 * by its pid) by the cleanup registered on `onCleanup`.
 */
export async function startNginx(options: {
  dir: string
  port: number
  http: string
  onCleanup: (cleanup: () => Promise<void>) => void
}): Promise<ChildProcess> {
  const { dir, port } = options
  mkdirSync(dir, { recursive: true })
  const conf = `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${options.http}
}
`
  writeFileSync(join(dir, 'nginx.conf'), conf)
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: 'inherit',
  })
  options.onCleanup(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGQUIT')
    await exited
  })
  await waitForPort(port)
  return child
}

/**
 * A site with one root application on one AlwaysRunning pool, bound to a
 * loopback port: what every benchmark serves. `pool` overrides pool settings.
 */
export function oneApplicationSite(
  name: string,
  port: number,
  physicalPath: string,
  pool: Partial<PoolDefinition>,
): SiteDefinition {
  return {
    name,
    owner: null,
    bindings: [{ protocol: 'http', port, ipAddress: '127.0.0.1', hostname: null }],
    applications: [
      {
        alias: '/',
        physicalPath,
        pool: 'default',
        enablePreload: false,
        virtualDirectories: [],
        program: null,
      },
    ],
    pools: [
      {
        ...POOL_DEFAULTS,
        key: 'default',
        name,
        startMode: 'AlwaysRunning',
        env: {},
        ...pool,
      },
    ],
    stdoutPath: null,
    stderrPath: null,
  }
}
