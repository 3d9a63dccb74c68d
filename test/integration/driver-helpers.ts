/**
 * Shared set-up for the driver's integration tests: a temp alloc dir laid
 * out as Nomad does, a free loopback port, a task config, and a cleanup that
 * leaves no process or folder behind.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { Driver, parseDriverConfig } from '../../src/driver/index.js'
import type { TaskConfig, TaskEvent } from '../../src/driver/index.js'

export interface DriverFixture {
  root: string
  stateDir: string
  driver: Driver
  events: TaskEvent[]
  /** Pids to SIGKILL at cleanup if still alive (site hosts, workers). */
  pids: Set<number>
  newDriver(): Driver
  cleanup(): Promise<void>
}

export async function createFixture(): Promise<DriverFixture> {
  const root = await mkdtemp(join(tmpdir(), 'driver-it-'))
  const stateDir = join(root, 'state')
  const drivers: Driver[] = []
  const events: TaskEvent[] = []
  const pids = new Set<number>()
  const newDriver = (): Driver => {
    const driver = new Driver({ config: parseDriverConfig({ state_dir: stateDir }) })
    driver.onEvent((event) => events.push(event))
    drivers.push(driver)
    return driver
  }
  const driver = newDriver()
  return {
    root,
    stateDir,
    driver,
    events,
    pids,
    newDriver,
    async cleanup() {
      for (const d of drivers) await d.close()
      for (const pid of pids) {
        for (const target of [-pid, pid]) {
          try {
            process.kill(target, 'SIGKILL')
          } catch {
            // Already gone.
          }
        }
      }
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** A port nothing listens on right now (the kernel's pick, then released). */

/** Lays out `<root>/<alloc>/{alloc,<task>}` with a page in `local/` and returns the task. */
export async function createTask(
  root: string,
  port: number,
  driverConfig: Record<string, unknown>,
  page = '<h1>hello from the task</h1>',
): Promise<TaskConfig> {
  const allocId = randomUUID()
  const name = 'web'
  const allocDir = join(root, allocId)
  for (const dir of [
    'alloc/data',
    'alloc/logs',
    'alloc/tmp',
    `${name}/local`,
    `${name}/secrets`,
    `${name}/tmp`,
  ]) {
    await mkdir(join(allocDir, dir), { recursive: true })
  }
  await writeFile(join(allocDir, name, 'local', 'index.html'), page)
  return {
    id: `${allocId}/${name}/0a1b2c3d`,
    name,
    driverConfig,
    env: { NOMAD_ALLOC_ID: allocId, NOMAD_TASK_NAME: name },
    allocDir,
    stdoutPath: join(allocDir, 'alloc/logs', `${name}.stdout.0`),
    stderrPath: join(allocDir, 'alloc/logs', `${name}.stderr.0`),
    taskGroupName: 'group',
    jobName: 'job',
    jobId: 'job',
    allocId,
    namespace: 'default',
    ports: [{ label: 'http', value: port, to: 0 }],
    networkIp: '127.0.0.1',
    memoryMb: 64,
    cpuShares: 100,
  }
}

export { freePort, waitFor } from './wait.js'
