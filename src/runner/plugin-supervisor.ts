/**
 * Keeps one live plugin instance for the run, as a Nomad client's driver
 * manager does: launch it, SetConfig with the agent config, open the
 * TaskEvents stream; and when the process dies while tasks run, launch a
 * fresh one with the same config so each task can be recovered on it
 * (RecoverTask with the handle StartTask gave).
 *
 * @module
 */
import { agentConfigError, pluginError } from './errors.js'
import { encodeCtyMsgpack } from './cty-msgpack.js'
import type { AgentPluginConfig } from './agent-config.js'
import type { DriverEvent } from './driver-plugin.js'
import { decodeHclConfig } from './hcldec.js'
import { connectDriverPlugin, messageOf } from './plugin-connection.js'
import type { PluginConnection, PluginLaunch } from './plugin-connection.js'

/** How long a failed call waits to see whether the plugin died (Nomad waits 3 s). */
const DEATH_WAIT_MS = 3000
/** How long Nomad's client waits for a driver's first fingerprint at start. */
const FIRST_FINGERPRINT_MS = 50_000

export interface SupervisorOptions {
  launch: Omit<PluginLaunch, 'args'>
  agent: AgentPluginConfig
  /** Extra arguments after the agent config's `args`. */
  args: string[]
  onEvent: (event: DriverEvent) => void
  /** Told when a dead plugin was replaced. */
  onRestart: (oldPid: number | null, newPid: number | null) => void
  /** Told of every plugin process launched and configured. */
  onLaunch: (pid: number | null) => void
}

export class PluginSupervisor {
  readonly #options: SupervisorOptions
  #current: PluginConnection | null = null
  #cancelEvents: () => void = () => {}
  #relaunch: Promise<PluginConnection> | null = null
  #isClosed = false

  constructor(options: SupervisorOptions) {
    this.#options = options
  }

  /** The live connection; only valid after `start()`. */
  get current(): PluginConnection {
    if (this.#current === null) throw new TypeError('the plugin supervisor was not started')
    return this.#current
  }

  get isStarted(): boolean {
    return this.#current !== null
  }

  /**
   * Launches and configures the first instance.
   *
   * @throws RunnerError `ERR_RUNNER_PLUGIN` or `ERR_RUNNER_AGENT_CONFIG`.
   */
  async start(): Promise<void> {
    this.#current = await this.#launch()
  }

  /**
   * After a call on `failed` was rejected: resolves with a fresh instance
   * when that plugin died (launching at most one for all callers), or null
   * when it is alive and the error was the call's own.
   */
  async replaceIfDead(failed: PluginConnection): Promise<PluginConnection | null> {
    if (this.#isClosed) return null
    if (failed !== this.#current) return this.#current
    if (!(await failed.isDead(DEATH_WAIT_MS))) return null
    if (this.#relaunch === null) {
      this.#relaunch = this.#launch().then((fresh) => {
        this.#options.onRestart(failed.pid, fresh.pid)
        this.#current = fresh
        this.#relaunch = null
        return fresh
      })
      this.#relaunch.catch(() => (this.#relaunch = null))
    }
    return this.#relaunch
  }

  /**
   * DestroyTask(force) on the live plugin, as Nomad calls it after every
   * exit; errors are ignored as Nomad ignores them, and after shutdown
   * there is no plugin left to ask.
   */
  async destroyTask(taskId: string): Promise<void> {
    await this.#current?.destroyTask(taskId, true).catch(() => {})
  }

  /** Ends the plugin process at once (SIGKILL), leaving its tasks running. */
  killNow(): void {
    this.#isClosed = true
    this.#current?.kill()
  }

  /** Driver.Shutdown, the controller's Shutdown, then the process ends; idempotent. */
  async shutdown(): Promise<void> {
    this.#isClosed = true
    // A relaunch under way still sets #current; wait for it so its process is shut down too.
    await this.#relaunch?.catch(() => {})
    this.#cancelEvents()
    const plugin = this.#current
    this.#current = null
    await plugin?.shutdown()
  }

  async #launch(): Promise<PluginConnection> {
    const { launch, agent, args } = this.#options
    const plugin = await connectDriverPlugin({ ...launch, args: [...agent.args, ...args] })
    try {
      const bytes = await this.#configBytes(plugin)
      await plugin.setConfig(bytes).catch((err: unknown) => {
        throw agentConfigError(`the plugin refused its config: ${messageOf(err)}`, err)
      })
      await this.#requireHealthy(plugin)
    } catch (err) {
      await plugin.shutdown().catch(() => {})
      throw err
    }
    this.#cancelEvents()
    this.#cancelEvents = plugin.watchEvents(this.#options.onEvent)
    this.#options.onLaunch(plugin.pid)
    return plugin
  }

  /** Nomad places tasks only on a node where the driver is detected and healthy. */
  async #requireHealthy(plugin: PluginConnection): Promise<void> {
    const { health, description } = await plugin.firstFingerprint(FIRST_FINGERPRINT_MS)
    if (health === 'HEALTHY') return
    const why = description === '' ? '' : `: ${description}`
    throw pluginError(
      `the driver fingerprints as ${health.toLowerCase()}${why}; Nomad would place no task here`,
    )
  }

  async #configBytes(plugin: PluginConnection): Promise<Uint8Array> {
    const spec = await plugin.configSchema()
    if (spec === null) return new Uint8Array()
    let bytes: Uint8Array
    try {
      bytes = encodeCtyMsgpack(
        decodeHclConfig(spec, this.#options.agent.config, { blockName: 'config' }),
      )
    } catch (err) {
      throw agentConfigError(`plugin "nomad_iis" config: ${messageOf(err)}`, err)
    }
    return bytes
  }
}
