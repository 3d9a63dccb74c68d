/**
 * One run of a hosted program: started on a free loopback port that it learns
 * from its module's variable (ASPNETCORE_PORT, HTTP_PLATFORM_PORT or PORT),
 * ready once the port accepts connections, stopped with SIGTERM and then
 * SIGKILL. The program runs in a process group of its own so that a stop
 * reaches whatever it started, as IIS's job object does.
 *
 * Diagnostics channels: `nomad-iis:hosted:program-start` ({ pid, port,
 * command }) and `nomad-iis:hosted:program-exit` ({ pid, code, signal,
 * isExpected }).
 *
 * @module
 */
import { spawn } from 'node:child_process'
import type { ChildProcess, StdioOptions } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import diagnostics from 'node:diagnostics_channel'
import { EventEmitter, once } from 'node:events'
import { connect, createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { HostedError } from './errors.js'
import { expandVariables } from './windows-paths.js'
import type { HostedProgramDefinition } from '../site-definition.js'

/** util-linux's setpriv, when the machine has it (Debian always does). */
const SETPRIV_PATH = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path)) ?? null

/** Programs listen here; never another address. */
export const PROGRAM_HOST = '127.0.0.1'

const startChannel = diagnostics.channel('nomad-iis:hosted:program-start')
const exitChannel = diagnostics.channel('nomad-iis:hosted:program-exit')

/** Readiness probes start this often and back off to the maximum. */
const PROBE_FIRST_MS = 20
const PROBE_MAX_MS = 250

export interface ProgramProcessOptions {
  program: HostedProgramDefinition
  /** The task's environment; the program's own variables win over it. */
  env: Record<string, string>
  /** Ready within this long or the start fails (IIS start_time_limit, default 90000). */
  startTimeLimitMs: number
  /** SIGKILL this long after SIGTERM (IIS shutdown_time_limit, default 90000). */
  shutdownTimeLimitMs: number
  /** The application's URL path, given to ASP.NET Core as ASPNETCORE_APPL_PATH; default `/`. */
  applicationAlias?: string
  /** Where the program's output goes; default inherited from this process. */
  stdio?: StdioOptions
}

export interface ProgramExit {
  pid: number
  code: number | null
  signal: NodeJS.Signals | null
  /** True when the exit followed stop() or destroy(); false is a crash. */
  isExpected: boolean
}

export type ProgramState = 'new' | 'starting' | 'running' | 'stopping' | 'exited'

/**
 * A started program. Emits `exit` (ProgramExit) exactly once after start().
 *
 * @example
 * const run = new ProgramProcess({ program, env, startTimeLimitMs: 90_000, shutdownTimeLimitMs: 90_000 })
 * await run.start()
 * proxy.target = { host: PROGRAM_HOST, port: run.port }
 */
export class ProgramProcess extends EventEmitter<{ exit: [ProgramExit] }> {
  readonly options: ProgramProcessOptions
  /** Sent to ASP.NET Core programs as ASPNETCORE_TOKEN; the proxy repeats it. */
  readonly pairingToken: string | null
  /** Lifecycle fields, written by start, stop, destroy and the exit handler only. */
  #state: ProgramState = 'new'
  #child: ChildProcess | null = null
  #port = 0
  #startedAt: Date | null = null
  #isStopRequested = false
  #exited: Promise<ProgramExit> | null = null
  /** Why the program could not be executed at all (ENOENT, EACCES), if so. */
  #spawnError: Error | null = null

  constructor(options: ProgramProcessOptions) {
    super()
    if (!(options.startTimeLimitMs > 0) || !(options.shutdownTimeLimitMs >= 0)) {
      throw new HostedError(
        'ERR_HOSTED_INVALID_ARGUMENT',
        'startTimeLimitMs must be > 0 and shutdownTimeLimitMs >= 0',
      )
    }
    this.options = options
    const isAspNetCore = options.program.portEnv === 'ASPNETCORE_PORT'
    this.pairingToken = isAspNetCore ? randomBytes(16).toString('hex') : null
  }

  get state(): ProgramState {
    return this.#state
  }

  get port(): number {
    return this.#port
  }

  get pid(): number | null {
    return this.#child?.pid ?? null
  }

  get startedAt(): Date | null {
    return this.#startedAt
  }

  /**
   * Starts the program and resolves once its port accepts connections.
   *
   * @throws {HostedError} ERR_HOSTED_START_TIMEOUT (the program was killed),
   *   ERR_HOSTED_PROGRAM_EXITED, or ERR_HOSTED_CLOSED when stopped meanwhile
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') {
      throw new HostedError('ERR_HOSTED_CLOSED', 'a program process can be started only once')
    }
    this.#state = 'starting'
    this.#port = await findFreePort()
    const child = this.#spawn()
    const deadline = Date.now() + this.options.startTimeLimitMs
    const outcome = await Promise.race([
      waitForPort(this.#port, deadline, () => this.#state !== 'starting'),
      this.#exited!.then(() => 'exited' as const),
    ])
    if (outcome === 'ready' && this.#state === 'starting') {
      this.#state = 'running'
      startChannel.publish({
        pid: child.pid,
        port: this.#port,
        command: this.options.program.command,
      })
      return
    }
    throw await this.#startFailure(outcome)
  }

  /** SIGTERM, then SIGKILL after shutdownTimeLimitMs; resolves once the program exited. */
  async stop(): Promise<void> {
    if (this.#exited === null) {
      this.#state = 'exited'
      return
    }
    this.#isStopRequested = true
    if (this.#state !== 'exited') {
      this.#state = 'stopping'
      this.#signal('SIGTERM')
      const timer = setTimeout(() => this.#signal('SIGKILL'), this.options.shutdownTimeLimitMs)
      await this.#exited
      clearTimeout(timer)
    }
    await this.#exited
  }

  /** SIGKILL at once; resolves once the program exited. */
  async destroy(): Promise<void> {
    if (this.#exited === null) {
      this.#state = 'exited'
      return
    }
    this.#isStopRequested = true
    if (this.#state !== 'exited') this.#signal('SIGKILL')
    await this.#exited
  }

  #spawn(): ChildProcess {
    const { program } = this.options
    const env = this.#buildEnv()
    const args = program.args.map((a) => expandVariables(a, env))
    // setpriv (util-linux) asks the kernel to SIGKILL the program when its
    // site host dies, even by SIGKILL, so no program outlives its site; it
    // then execs the program, whose pid stays the one we track.
    const [command, argv] = SETPRIV_PATH
      ? [SETPRIV_PATH, ['--pdeathsig', 'SIGKILL', '--', program.command, ...args]]
      : [program.command, args]
    const child = spawn(command, argv, {
      cwd: program.workingDirectory,
      env,
      stdio: this.options.stdio ?? 'inherit',
      detached: true,
    })
    this.#child = child
    this.#startedAt = new Date()
    this.#exited = new Promise((resolve) => {
      let spawnError: Error | null = null
      child.once('error', (err) => {
        spawnError = err
        this.#spawnError = err
        if (child.pid === undefined) resolve(this.#onExit(1, null))
      })
      child.once('exit', (code, signal) => {
        if (spawnError === null || child.pid !== undefined) resolve(this.#onExit(code, signal))
      })
    })
    return child
  }

  #buildEnv(): Record<string, string> {
    const { program, env: taskEnv, applicationAlias } = this.options
    // Like Nomad's executors, a program sees the task's environment only: the
    // site host's own (which is the plugin's) may hold agent secrets. PATH is
    // the one thing taken from the site host when the task has none.
    const env: Record<string, string> = {}
    if (process.env.PATH !== undefined) env.PATH = process.env.PATH
    Object.assign(env, taskEnv, { [program.portEnv]: String(this.#port) })
    if (this.pairingToken !== null) {
      env.ASPNETCORE_TOKEN = this.pairingToken
      env.ASPNETCORE_APPL_PATH = applicationAlias ?? '/'
    }
    for (const [name, value] of Object.entries(program.env)) env[name] = expandVariables(value, env)
    return env
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): ProgramExit {
    const exit = { pid: this.#child?.pid ?? 0, code, signal, isExpected: this.#isStopRequested }
    this.#state = 'exited'
    // Children the program left behind in its group go with it.
    this.#signal('SIGKILL')
    exitChannel.publish(exit)
    this.emit('exit', exit)
    return exit
  }

  async #startFailure(outcome: 'ready' | 'timeout' | 'exited'): Promise<HostedError> {
    const { command } = this.options.program
    if (outcome === 'timeout') {
      await this.destroy()
      return new HostedError(
        'ERR_HOSTED_START_TIMEOUT',
        `program ${command} did not accept connections on port ${this.#port} within ` +
          `${this.options.startTimeLimitMs} ms; make it listen on ${this.options.program.portEnv} ` +
          'or raise start_time_limit',
      )
    }
    if (this.#isStopRequested) {
      await this.#exited
      return new HostedError('ERR_HOSTED_CLOSED', `program ${command} was stopped while starting`)
    }
    const exit = await this.#exited!
    // Through setpriv a program that cannot be executed is setpriv's exit
    // 127 (not found) or 126 (not executable), as a shell reports it.
    const execFailure =
      SETPRIV_PATH && exit.code === 127
        ? 'ENOENT'
        : SETPRIV_PATH && exit.code === 126
          ? 'EACCES'
          : null
    if (this.#spawnError !== null || execFailure !== null) {
      const reason =
        execFailure ?? (this.#spawnError as NodeJS.ErrnoException).code ?? this.#spawnError!.message
      return new HostedError(
        'ERR_HOSTED_PROGRAM_MISSING',
        `program ${command} could not be run (${reason}); check that it exists and is executable`,
        { cause: this.#spawnError },
      )
    }
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`
    return new HostedError(
      'ERR_HOSTED_PROGRAM_EXITED',
      `program ${command} exited with ${how} before accepting connections; see its output`,
    )
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid
    if (pid === undefined) return
    try {
      process.kill(-pid, signal)
    } catch {
      // ESRCH: the group is already gone.
    }
  }
}

/** Asks the kernel for a free loopback port. */
async function findFreePort(): Promise<number> {
  const server = createServer()
  server.listen(0, PROGRAM_HOST)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  return port
}

/** Probes the port until it accepts a connection, the deadline passes or shouldGiveUp says so. */
async function waitForPort(
  port: number,
  deadline: number,
  shouldGiveUp: () => boolean,
): Promise<'ready' | 'timeout' | 'exited'> {
  let delayMs = PROBE_FIRST_MS
  while (!shouldGiveUp()) {
    if (await canConnect(port)) return 'ready'
    const leftMs = deadline - Date.now()
    if (leftMs <= 0) return 'timeout'
    await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs, leftMs)))
    delayMs = Math.min(delayMs * 2, PROBE_MAX_MS)
  }
  return 'exited'
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: PROGRAM_HOST })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
