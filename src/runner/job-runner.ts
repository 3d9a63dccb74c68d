/**
 * Runs a Nomad job file locally, playing the Nomad client's part for it:
 * read the job, start the driver plugin as Nomad does and configure it,
 * plan the allocs (ports, env, config decoded with the plugin's own spec),
 * then per alloc build the alloc dir and start each task; wait for the
 * tasks and for SIGINT/SIGTERM; then stop, destroy, shut the plugin down
 * and remove the alloc dirs.
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
import type { PlannedAlloc } from './alloc-plan.js'
import { RunnerError, jobInvalidError } from './errors.js'
import { readJobFile } from './job-file.js'
import type { JobSpec } from './job-spec.js'
import { messageOf } from './plugin-connection.js'
import type { PluginLogger } from './plugin-client.js'
import { PluginSupervisor } from './plugin-supervisor.js'
import { waitUntilServing } from './readiness.js'
import type { Reporter } from './reporter.js'
import { TaskRunner } from './task-runner.js'
import { buildTaskUrls } from './task-urls.js'

const HOST_IP = '127.0.0.1'

export interface RunOptions {
  jobPath: string
  /** `--var name=value` values for the job's `variable` blocks. */
  variables: Record<string, string>
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
  /** Aborted on SIGINT, SIGTERM, SIGHUP or a closed output pipe: stop every task in order. */
  stop: AbortSignal
  /** Aborted when the runner must quit at once: the plugin is killed, tasks stay. */
  forceQuit: AbortSignal
}

/** Runs the job until a signal or until every task ended; resolves with the exit code. */
export async function runJob(options: RunOptions): Promise<number> {
  return new JobRun(options).run()
}

class JobRun {
  readonly #options: RunOptions
  readonly #reporter: Reporter
  #supervisor: PluginSupervisor | null = null
  // Filled while starting; emptied by #shutdown.
  #builtAllocs: PlannedAlloc[] = []
  #tasks: TaskRunner[] = []
  #onTaskEnded: () => void = () => {}

  constructor(options: RunOptions) {
    this.#options = options
    this.#reporter = options.reporter
    options.forceQuit.addEventListener('abort', () => this.#supervisor?.killNow(), { once: true })
  }

  async run(): Promise<number> {
    try {
      const job = await readJobFile(this.#options.jobPath, this.#options.variables)
      this.#reportIgnored(job)
      const supervisor = await this.#startPlugin()
      const allocs = await this.#plan(job, supervisor)
      await this.#startAllocs(job, allocs, supervisor)
      if (this.#options.stop.aborted) return await this.#shutdown(0)
      await this.#announce()
      this.#reporter.note('running; press Ctrl-C to stop every task')
      const reason = await this.#waitForEnd()
      return await this.#shutdown(reason === 'signal' ? 0 : 1)
    } catch (err) {
      const code = err instanceof RunnerError ? err.code : null
      this.#reporter.failed(code, err instanceof Error ? err.message : String(err))
      await this.#shutdown(1)
      return 1
    }
  }

  #reportIgnored(job: JobSpec): void {
    let count = 0
    for (const note of job.notes) this.#reporter.note(note)
    for (const group of job.groups) {
      for (const task of group.tasks) {
        if (task.driver === DRIVER_NAME) {
          count++
          for (const note of task.notes) this.#reporter.note(note)
        } else {
          const why = `driver "${task.driver}" is not "${DRIVER_NAME}"`
          this.#reporter.note(`task "${task.name}" skipped: ${why}`)
        }
      }
    }
    if (count === 0) {
      throw jobInvalidError(`job "${job.id}" has no task with driver = "${DRIVER_NAME}"`)
    }
  }

  async #startPlugin(): Promise<PluginSupervisor> {
    const { workDir, agentConfigPath } = this.#options
    const agent = await readAgentConfig(agentConfigPath, join(workDir, 'state'))
    const supervisor = new PluginSupervisor({
      launch: {
        nodePath: this.#options.nodePath,
        mainPath: this.#options.pluginMainPath,
        env: this.#options.hostEnv,
        log: this.#options.log,
        onViolation: (problem) => this.#reporter.error(`plugin protocol: ${problem}`),
      },
      agent,
      args: this.#options.pluginArgs,
      onEvent: (e) => this.#reporter.taskEvent(e.taskName, e.allocId, e.message, e.annotations),
      onLaunch: (pid) => this.#reporter.pluginStarted(pid),
      onRestart: (oldPid, newPid) => {
        this.#reporter.note(`the plugin (pid ${oldPid}) died; restarted it as pid ${newPid}`)
      },
    })
    this.#supervisor = supervisor
    await supervisor.start()
    return supervisor
  }

  async #plan(job: JobSpec, supervisor: PluginSupervisor): Promise<PlannedAlloc[]> {
    const allocs = await planAllocs({
      job,
      taskSpec: await supervisor.current.taskConfigSchema(),
      allocsDir: join(this.#options.workDir, 'allocs'),
      hostIp: HOST_IP,
      nodeId: 'local-runner',
      hostEnv: this.#options.hostEnv,
    })
    if (allocs.length === 0) {
      throw jobInvalidError(`job "${job.id}" has nothing to run: its iis groups have count = 0`)
    }
    return allocs
  }

  async #startAllocs(job: JobSpec, allocs: PlannedAlloc[], supervisor: PluginSupervisor) {
    for (const alloc of allocs) {
      if (this.#options.stop.aborted) return
      this.#builtAllocs.push(alloc)
      await alloc.dir.build(alloc.tasks.map((t) => t.spec.name))
      for (const task of alloc.tasks) {
        const runner = new TaskRunner(alloc, task, supervisor, this.#reporter, () =>
          this.#onTaskEnded(),
        )
        this.#tasks.push(runner)
        await runner.start(dirname(job.filePath))
      }
    }
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
          logs: { stdout: fifos[0]?.logPath ?? null, stderr: fifos[1]?.logPath ?? null },
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
    const supervisor = this.#supervisor
    if (supervisor?.isStarted === true) {
      await Promise.all(this.#tasks.map((t) => t.stop()))
      await supervisor.shutdown().catch((err: unknown) => {
        this.#reporter.error(`the plugin did not shut down cleanly: ${messageOf(err)}`)
      })
    }
    for (const task of this.#tasks) await task.closeLogs()
    for (const alloc of this.#builtAllocs) {
      if (this.#options.keepAllocDirs) this.#reporter.note(`alloc dir kept: ${alloc.dir.path}`)
      else await alloc.dir.destroy()
    }
    this.#supervisor = null
    this.#tasks = []
    this.#builtAllocs = []
    return code
  }
}
