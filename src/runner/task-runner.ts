/**
 * One task's life as a Nomad client's task runner drives it: fetch the
 * artifacts, open the log FIFOs, StartTask, then WaitTask and TaskStats;
 * on a stop, StopTask with the job's kill_timeout and DestroyTask(force).
 * When the plugin dies under a running task, the task is recovered on the
 * fresh plugin with the handle StartTask gave (RecoverTask), and waited on
 * again, as Nomad does after a plugin crash.
 *
 * @module
 */
import type { PlannedAlloc, PlannedTask } from './alloc-plan.js'
import { fetchArtifact } from './artifact-fetcher.js'
import type { TaskExit, TaskHandle, TaskUsageSample } from './driver-plugin.js'
import { taskStartError } from './errors.js'
import { LogFifo } from './log-fifo.js'
import { messageOf } from './plugin-connection.js'
import type { PluginConnection } from './plugin-connection.js'
import type { PluginSupervisor } from './plugin-supervisor.js'
import type { Reporter } from './reporter.js'
import { replaceEnv } from './task-env.js'

/** The collection interval Nomad's agent uses by default (telemetry.collection_interval). */
const STATS_INTERVAL_MS = 1000
/** How long past kill_timeout a stopped task may take to be reported as exited. */
const STOP_GRACE_MS = 5000

export class TaskRunner {
  readonly alloc: PlannedAlloc
  readonly task: PlannedTask
  /** stdout then stderr; empty with `logs { disabled = true }`. */
  readonly fifos: LogFifo[]
  /** Set once WaitTask answered (or the task was lost). */
  exit: TaskExit | null = null
  readonly #supervisor: PluginSupervisor
  readonly #reporter: Reporter
  readonly #onEnded: () => void
  // Set by start(), read by the waiter and stop().
  #handle: TaskHandle | null = null
  #ended: Promise<void> | null = null
  #lastUsage: TaskUsageSample | null = null
  #cancelStats: () => void = () => {}

  constructor(
    alloc: PlannedAlloc,
    task: PlannedTask,
    supervisor: PluginSupervisor,
    reporter: Reporter,
    onEnded: () => void,
  ) {
    this.alloc = alloc
    this.task = task
    const { logs, name } = task.spec
    const limits = { maxFiles: logs.maxFiles, maxFileBytes: logs.maxFileBytes }
    this.fifos = logs.isDisabled
      ? []
      : [
          new LogFifo(alloc.dir.logsDir, name, 'stdout', limits),
          new LogFifo(alloc.dir.logsDir, name, 'stderr', limits),
        ]
    this.#supervisor = supervisor
    this.#reporter = reporter
    this.#onEnded = onEnded
  }

  /** True once StartTask succeeded. */
  get isStarted(): boolean {
    return this.#ended !== null
  }

  /**
   * The task runner's prestart and start: artifacts, log FIFOs, StartTask.
   *
   * @throws RunnerError `ERR_RUNNER_ARTIFACT`, or `ERR_RUNNER_TASK_START`
   *   with the plugin's own message.
   */
  async start(jobDir: string): Promise<void> {
    const { spec, env, wire } = this.task
    const taskRoot = this.alloc.dir.taskDirs(spec.name).root
    for (const artifact of spec.artifacts) {
      const source = replaceEnv(artifact.source, env)
      const destination = replaceEnv(artifact.destination, env)
      await fetchArtifact({ ...artifact, source, destination }, jobDir, taskRoot)
    }
    for (const fifo of this.fifos) await fifo.open()

    const plugin = this.#supervisor.current
    this.#handle = await plugin.startTask(wire).catch((err: unknown) => {
      throw taskStartError(spec.name, messageOf(err), err)
    })
    this.#watchStats(plugin)
    this.#ended = this.#waitForExit(plugin)
  }

  /** StopTask with kill_timeout; DestroyTask(force) if WaitTask has not answered in time. */
  async stop(): Promise<void> {
    const ended = this.#ended
    if (ended === null) return
    if (this.exit === null) {
      const { taskId, spec } = this.task
      await this.#stopOnLivePlugin()
      await raceTimeout(ended, spec.killTimeoutMs + STOP_GRACE_MS)
      if (this.exit === null) {
        await this.#supervisor.destroyTask(taskId)
      }
    }
    await raceTimeout(ended, STOP_GRACE_MS)
  }

  async closeLogs(): Promise<void> {
    for (const fifo of this.fifos) await fifo.close()
  }

  /** StopTask; if the plugin died meanwhile, recover the task on a fresh one and stop it there. */
  async #stopOnLivePlugin(): Promise<void> {
    const { taskId, spec } = this.task
    let plugin = this.#supervisor.current
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await plugin.stopTask(taskId, spec.killTimeoutMs, spec.killSignal)
        return
      } catch (err) {
        const fresh = await this.#supervisor.replaceIfDead(plugin).catch(() => null)
        if (fresh === null || this.#handle === null) {
          this.#reporter.error(`task "${spec.name}": stop failed: ${messageOf(err)}`)
          return
        }
        await fresh.recoverTask(this.#handle).catch(() => {})
        plugin = fresh
      }
    }
  }

  /** WaitTask as Nomad calls it after a start; then the exit is reported and the task destroyed. */
  async #waitForExit(first: PluginConnection): Promise<void> {
    const { taskId, spec } = this.task
    let plugin = first
    while (this.exit === null) {
      try {
        this.exit = await plugin.waitTask(taskId)
      } catch (err) {
        const fresh = await this.#recoverAfter(plugin, err)
        if (fresh === null) break
        plugin = fresh
      }
    }
    this.#cancelStats()
    const exit = this.exit ?? lostExit('lost the plugin while waiting')
    this.exit = exit
    this.#reporter.exited({
      allocId: this.alloc.allocId,
      taskName: spec.name,
      ...exit,
      lastUsage: this.#lastUsage,
    })
    await this.#supervisor.destroyTask(taskId)
    this.#onEnded()
  }

  /** After WaitTask failed: a fresh plugin with the task recovered on it, or null (exit set). */
  async #recoverAfter(plugin: PluginConnection, err: unknown): Promise<PluginConnection | null> {
    const { spec } = this.task
    const fresh = await this.#supervisor.replaceIfDead(plugin).catch((relaunchErr: unknown) => {
      this.exit = lostExit(`the plugin died and could not be restarted: ${messageOf(relaunchErr)}`)
      return null
    })
    if (fresh === null) {
      this.exit ??= lostExit(`WaitTask failed: ${messageOf(err)}`)
      return null
    }
    try {
      await fresh.recoverTask(this.#handle as TaskHandle)
    } catch (recoverErr) {
      this.exit = lostExit(
        `the plugin restarted but could not recover the task: ${messageOf(recoverErr)}`,
      )
      return null
    }
    this.#reporter.note(`task "${spec.name}" recovered on the restarted plugin`)
    this.#watchStats(fresh)
    return fresh
  }

  #watchStats(plugin: PluginConnection): void {
    this.#cancelStats()
    this.#cancelStats = plugin.watchStats(this.task.taskId, STATS_INTERVAL_MS, (sample) => {
      this.#lastUsage = sample
    })
  }
}

function lostExit(err: string): TaskExit {
  return { exitCode: -1, signal: 0, isOomKilled: false, err }
}

async function raceTimeout(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
  await Promise.race([promise, late])
  clearTimeout(timer)
}
