/**
 * Starts `nomad-iis run` as a separate process for the runner's end-to-end
 * tests, reads its `--json` lines, and finds the processes it started (site
 * hosts from the registry in the state dir, their workers from /proc) so a
 * test can check each one is gone afterwards.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

export const REPO_ROOT = new URL('../../../', import.meta.url).pathname
export const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js')

export interface ServingLine {
  event: 'serving'
  allocId: string
  taskName: string
  taskId: string
  urls: string[]
  allocDir: string
  isReady: boolean
  logs: { stdout: string; stderr: string }
}

export interface RunnerProcess {
  child: ChildProcess
  workDir: string
  stateDir: string
  lines: Record<string, unknown>[]
  stderr: () => string
  /** Resolves with the first `count` serving lines, or rejects when the runner exits first. */
  serving(count: number): Promise<ServingLine[]>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Runners still running, so a work dir's cleanup can stop the ones that use it first. */
const liveRunners = new Set<{ child: ChildProcess; workDir: string; exited: Promise<unknown> }>()

/**
 * A temp work dir removed after the test. node:test runs `after` hooks in
 * the order they were registered, so this one, registered first, stops
 * every runner still using the dir before removing it.
 */
export async function makeWorkDir(t: {
  after: (fn: () => Promise<void>) => void
}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'runner-it-'))
  t.after(async () => {
    for (const runner of liveRunners) {
      if (!runner.workDir.startsWith(dir)) continue
      runner.child.kill('SIGTERM')
      await runner.exited
    }
    await rm(dir, { recursive: true, force: true })
  })
  return dir
}

/** Spawns the runner with `--json`; the process is killed after the test if still running. */
export function startRunner(
  t: { after: (fn: () => Promise<void> | void) => void },
  jobPath: string,
  workDir: string,
  extraArgs: string[] = [],
  /** Start it as the leader of its own process group, as a shell does for a foreground job. */
  isGroupLeader = false,
  env: NodeJS.ProcessEnv = process.env,
): RunnerProcess {
  const args = [MAIN, 'run', jobPath, '--json', '--work-dir', workDir, ...extraArgs]
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: isGroupLeader,
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const live = { child, workDir, exited }
  liveRunners.add(live)
  void exited.then(() => liveRunners.delete(live))
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
  })
  let stderrText = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderrText += chunk))
  const lines: Record<string, unknown>[] = []
  const waiters: (() => void)[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>)
    for (const wake of waiters.splice(0)) wake()
  })

  const serving = (count: number) =>
    new Promise<ServingLine[]>((resolve, reject) => {
      const check = () => {
        const found = lines.filter((l) => l.event === 'serving') as unknown as ServingLine[]
        if (found.length >= count) return resolve(found.slice(0, count))
        waiters.push(check)
      }
      void exited.then(({ code }) =>
        reject(new Error(`runner exited (${code}) before serving:\n${stderrText}`)),
      )
      check()
    })
  return {
    child,
    workDir,
    stateDir: join(workDir, 'state'),
    lines,
    stderr: () => stderrText,
    serving,
    exited,
  }
}

/** Runs the runner to its end; for inputs that must fail before anything starts. */
export async function runToEnd(jobPath: string, workDir: string, extraArgs: string[] = []) {
  const child = spawn(
    process.execPath,
    [MAIN, 'run', jobPath, '--work-dir', workDir, ...extraArgs],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, stdout, stderr }
}

/** Pids of every site host in the state dir's registry and all their descendants. */
export async function collectSitePids(stateDir: string): Promise<number[]> {
  const sitesDir = join(stateDir, 'sites')
  const names = await readdir(sitesDir).catch(() => [] as string[])
  const hosts: number[] = []
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const entry = JSON.parse(await readFile(join(sitesDir, name), 'utf8')) as { pid: number }
    hosts.push(entry.pid)
  }
  return [...hosts, ...(await descendantsOf(hosts))]
}

async function descendantsOf(roots: number[]): Promise<number[]> {
  const parentOf = new Map<number, number>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields.length > 1) parentOf.set(Number(name), Number(fields[1]))
  }
  const found: number[] = []
  const queue = [...roots]
  while (queue.length > 0) {
    const parent = queue.shift() as number
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid)
        queue.push(pid)
      }
    }
  }
  return found
}

/** True while a process with this pid exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  if (stat === null) return false
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}

/** Bounded poll until none of `pids` is alive; returns the ones still alive. */
export async function waitUntilGone(pids: number[], timeoutMs = 15_000): Promise<number[]> {
  const giveUpAt = Date.now() + timeoutMs
  let alive = pids
  while (Date.now() < giveUpAt) {
    alive = []
    for (const pid of pids) if (await isAlive(pid)) alive.push(pid)
    if (alive.length === 0) return []
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return alive
}

/** The alloc dirs left under the work dir. */
export async function leftoverAllocDirs(workDir: string): Promise<string[]> {
  return readdir(join(workDir, 'allocs')).catch(() => [])
}
