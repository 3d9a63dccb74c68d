/**
 * Runs a Nomad job file locally, playing the Nomad client's part for it:
 * read the job, start the driver plugin as Nomad does, configure it, plan
 * one alloc per group (ports, env, config decoded with the plugin's spec),
 * then per alloc build the alloc dir, fetch artifacts, open the log FIFOs
 * and StartTask each task; wait for the tasks and for SIGINT/SIGTERM; then
 * stop, destroy, shut the plugin down and remove the alloc dirs.
 *
 * Decisions where Nomad has no local equivalent:
 * - exit code 0 after a stop asked for by a signal; 1 when every task
 *   ended by itself, or when anything failed (a message says what);
 * - alloc dirs are removed on the way out, logs included, unless
 *   `keepAllocDirs` is set, in which case their paths are printed.
 *
 * @module
 */
import { dirname, join } from 'node:path'

import { readAgentConfig } from './agent-config.js'
import { planAllocs, DRIVER_NAME } from './alloc-plan.js'
import type { PlannedAlloc, PlannedTask } from './alloc-plan.js'
import { fetchArtifact } from './artifact-fetcher.js'
import { encodeCtyMsgpack } from './cty-msgpack.js'
import type { TaskExit, TaskUsageSample } from './driver-plugin.js'
import { agentConfigError, jobInvalidError, taskStartError } from './errors.js'
import { decodeHclConfig } from './hcldec.js'
import { readJobFile } from './job-file.js'
import type { JobSpec } from './job-spec.js'
import { LogFifo } from './log-fifo.js'
import { connectDriverPlugin, messageOf } from './plugin-connection.js'
import type { PluginConnection } from './plugin-connection.js'
import type { PluginLogger } from './plugin-client.js'
import { waitUntilServing } from './readiness.js'
import type { Reporter } from './reporter.js'
import { replaceEnv } from './task-env.js'
import { buildTaskUrls } from './task-urls.js'

/** The collection interval Nomad's agent uses by default (telemetry.collection_interval). */
const STATS_INTERVAL_MS = 1000
const HOST_IP = '127.0.0.1'
/** How long past kill_timeout a stopped task may take to be reported as exited. */
const STOP_GRACE_MS = 5000

export interface RunOptions {
  jobPath: string
  /** Holds `allocs/` and the plugin's default `state/`. */
  workDir: string
  agentConfigPath: string | null
  /** Extra plugin arguments (the Management API options). */
  pluginArgs: string[]
  keepAllocDirs: boolean
  /** How long a task may take to answer HTTP before it is reported anyway. */
  readyTimeoutMs: number
  nodePath: string
  pluginMainPath: string
  hostEnv: NodeJS.ProcessEnv
  log: PluginLogger
  reporter: Reporter
  /** Aborted on SIGINT or SIGTERM. */
  stop: AbortSignal
}

interface RunningTask {
  alloc: PlannedAlloc
  task: PlannedTask
  fifos: LogFifo[]
  exit: TaskExit | null
  ended: Promise<void> | null
  lastUsage: TaskUsageSample | null
  cancelStats: () => void
}

/** Runs the job until a signal or until every task ended; resolves with the exit code. */
export async function runJob(options: RunOptions): Promise<number> {
  return new JobRun(options).run()
}

class JobRun {
  readonly #options: RunOptions
  readonly #reporter: Reporter
  #plugin: PluginConnection | null = null
  #allocs: PlannedAlloc[] = []
  #builtAllocs: PlannedAlloc[] = []
  #tasks: RunningTask[] = []
  #cancelEvents: () => void = () => {}
  #onTaskEnded: () => void = () => {}

  constructor(options: RunOptions) {
    this.#options = options
    this.#reporter = options.reporter
  }

  async run(): Promise<number> {
    try {
      const job = await readJobFile(this.#options.jobPath)
      this.#reportSkipped(job)
      await this.#startPlugin()
      await this.#plan(job)
      await this.#startAllocs(job)
      if (this.#options.stop.aborted) return await this.#shutdown(0)
      await this.#announce()
      const reason = await this.#waitForEnd()
      return await this.#shutdown(reason === 'signal' ? 0 : 1)
    } catch (err) {
      this.#reporter.error(err instanceof Error ? err.message : String(err))
      await this.#shutdown(1)
      return 1
    }
  }

  #reportSkipped(job: JobSpec): void {
    let count = 0
    for (const group of job.groups) {
      for (const task of group.tasks) {
        if (task.driver === DRIVER_NAME) count++
        else
          this.#reporter.note(
            `task "${task.name}" skipped: driver "${task.driver}" is not "${DRIVER_NAME}"`,
          )
      }
    }
    if (count === 0)
      throw jobInvalidError(`job "${job.id}" has no task with driver = "${DRIVER_NAME}"`)
  }

  /** Launch, then what a client does once per plugin instance: SetConfig, Init. */
  async #startPlugin(): Promise<void> {
    const { workDir, agentConfigPath } = this.#options
    const agent = await readAgentConfig(agentConfigPath, join(workDir, 'state'))
    this.#plugin = await connectDriverPlugin({
      nodePath: this.#options.nodePath,
      mainPath: this.#options.pluginMainPath,
      args: [...agent.args, ...this.#options.pluginArgs],
      env: this.#options.hostEnv,
      log: this.#options.log,
    })
    const spec = await this.#plugin.configSchema()
    let bytes: Uint8Array = new Uint8Array()
    if (spec !== null) {
      try {
        bytes = encodeCtyMsgpack(
          decodeHclConfig(spec, agent.config, { blockName: 'plugin config' }),
        )
      } catch (err) {
        throw agentConfigError(`plugin "nomad_iis" config: ${messageOf(err)}`, err)
      }
    }
    await this.#plugin.setConfig(bytes).catch((err: unknown) => {
      throw agentConfigError(`the plugin refused its config: ${messageOf(err)}`, err)
    })
    this.#cancelEvents = this.#plugin.watchEvents((event) => {
      this.#reporter.taskEvent(event.taskName, event.allocId, event.message, event.annotations)
    })
  }

  async #plan(job: JobSpec): Promise<void> {
    const plugin = this.#plugin as PluginConnection
    this.#allocs = await planAllocs({
      job,
      taskSpec: await plugin.taskConfigSchema(),
      allocsDir: join(this.#options.workDir, 'allocs'),
      hostIp: HOST_IP,
      nodeId: 'local-runner',
      hostEnv: this.#options.hostEnv,
    })
  }

  async #startAllocs(job: JobSpec): Promise<void> {
    for (const alloc of this.#allocs) {
      if (this.#options.stop.aborted) return
      this.#builtAllocs.push(alloc)
      await alloc.dir.build(alloc.tasks.map((t) => t.spec.name))
      for (const task of alloc.tasks) await this.#startTask(job, alloc, task)
    }
  }

  async #startTask(job: JobSpec, alloc: PlannedAlloc, task: PlannedTask): Promise<void> {
    const taskRoot = alloc.dir.taskDirs(task.spec.name).root
    for (const artifact of task.spec.artifacts) {
      const source = replaceEnv(artifact.source, task.env)
      const destination = replaceEnv(artifact.destination, task.env)
      await fetchArtifact({ ...artifact, source, destination }, dirname(job.filePath), taskRoot)
    }
    const running: RunningTask = {
      alloc,
      task,
      fifos: [
        new LogFifo(alloc.dir.logsDir, task.spec.name, 'stdout'),
        new LogFifo(alloc.dir.logsDir, task.spec.name, 'stderr'),
      ],
      exit: null,
      ended: null,
      lastUsage: null,
      cancelStats: () => {},
    }
    this.#tasks.push(running)
    for (const fifo of running.fifos) await fifo.open()

    const plugin = this.#plugin as PluginConnection
    await plugin.startTask(task.wire).catch((err: unknown) => {
      throw taskStartError(task.spec.name, messageOf(err), err)
    })
    running.ended = this.#watchExit(running)
    running.cancelStats = plugin.watchStats(task.taskId, STATS_INTERVAL_MS, (sample) => {
      running.lastUsage = sample
    })
  }

  /** WaitTask as Nomad calls it after a start; an exit is reported, then the task destroyed. */
  async #watchExit(running: RunningTask): Promise<void> {
    const plugin = this.#plugin as PluginConnection
    const { taskId, spec } = running.task
    running.exit = await plugin.waitTask(taskId).catch((err: unknown) => ({
      exitCode: -1,
      signal: 0,
      isOomKilled: false,
      err: `lost the plugin while waiting: ${messageOf(err)}`,
    }))
    running.cancelStats()
    this.#reporter.exited({
      allocId: running.alloc.allocId,
      taskName: spec.name,
      ...running.exit,
      lastUsage: running.lastUsage,
    })
    await plugin.destroyTask(taskId, true).catch(() => {})
    this.#onTaskEnded()
  }

  async #announce(): Promise<void> {
    const { readyTimeoutMs, stop } = this.#options
    await Promise.all(
      this.#tasks.map(async ({ alloc, task, fifos }) => {
        const urls = buildTaskUrls(task.decoded, alloc.ports)
        const isReady =
          urls.length > 0 && (await waitUntilServing(urls[0].url, readyTimeoutMs, stop))
        if (stop.aborted) return
        this.#reporter.serving({
          jobId: task.wire.job_id,
          groupName: alloc.group.name,
          allocId: alloc.allocId,
          taskName: task.spec.name,
          taskId: task.taskId,
          urls,
          allocDir: alloc.dir.path,
          isReady,
          logs: { stdout: fifos[0].logPath, stderr: fifos[1].logPath },
        })
      }),
    )
  }

  #waitForEnd(): Promise<'signal' | 'all-ended'> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.#tasks.every((t) => t.exit !== null)) resolve('all-ended')
      }
      this.#onTaskEnded = check
      const { stop } = this.#options
      if (stop.aborted) return resolve('signal')
      stop.addEventListener('abort', () => resolve('signal'), { once: true })
      check()
    })
  }

  /** Stops and removes everything this run started; safe after any partial start. */
  async #shutdown(code: number): Promise<number> {
    const plugin = this.#plugin
    if (plugin !== null) {
      await Promise.all(this.#tasks.map((t) => this.#stopTask(plugin, t)))
      this.#cancelEvents()
      await plugin.shutdown().catch((err: unknown) => {
        this.#reporter.error(`the plugin did not shut down cleanly: ${messageOf(err)}`)
      })
    }
    for (const task of this.#tasks) for (const fifo of task.fifos) await fifo.close()
    for (const alloc of this.#builtAllocs) {
      if (this.#options.keepAllocDirs) this.#reporter.note(`alloc dir kept: ${alloc.dir.path}`)
      else await alloc.dir.destroy()
    }
    this.#plugin = null
    this.#tasks = []
    this.#builtAllocs = []
    return code
  }

  /** StopTask with the job's kill_timeout; if WaitTask still has not returned, DestroyTask(force). */
  async #stopTask(plugin: PluginConnection, running: RunningTask): Promise<void> {
    const { ended } = running
    if (ended === null) return
    if (running.exit === null) {
      const { taskId, spec } = running.task
      await plugin.stopTask(taskId, spec.killTimeoutMs, spec.killSignal).catch((err: unknown) => {
        this.#reporter.error(`task "${spec.name}": stop failed: ${messageOf(err)}`)
      })
      let timer: NodeJS.Timeout | undefined
      const grace = new Promise(
        (resolve) => (timer = setTimeout(resolve, spec.killTimeoutMs + STOP_GRACE_MS)),
      )
      await Promise.race([ended, grace])
      clearTimeout(timer)
      if (running.exit === null) await plugin.destroyTask(taskId, true).catch(() => {})
    }
    await Promise.race([
      ended,
      new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref()),
    ])
  }
}
