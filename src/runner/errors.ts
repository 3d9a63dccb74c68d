/**
 * The local runner's error catalogue. Codes are API: never renamed, never
 * reused. Every message starts lowercase and says what to change.
 *
 * @module
 */

/** Every code the runner's own errors carry; docs/runner.md lists each one. */
export const RUNNER_ERROR_CODES = [
  'ERR_RUNNER_JOB_FILE',
  'ERR_RUNNER_JOB_SYNTAX',
  'ERR_RUNNER_JOB_INVALID',
  'ERR_RUNNER_PORT_UNAVAILABLE',
  'ERR_RUNNER_ARTIFACT',
  'ERR_RUNNER_AGENT_CONFIG',
  'ERR_RUNNER_TASK_CONFIG',
  'ERR_RUNNER_PLUGIN',
  'ERR_RUNNER_TASK_START',
] as const

export type RunnerErrorCode = (typeof RUNNER_ERROR_CODES)[number]

/** Base class of every error the runner raises on purpose. */
export class RunnerError extends Error {
  readonly code: RunnerErrorCode

  constructor(code: RunnerErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** The job file cannot be read. */
export function jobFileError(path: string, cause: unknown): RunnerError {
  return new RunnerError('ERR_RUNNER_JOB_FILE', `cannot read job file ${path}`, { cause })
}

/** HCL syntax error; `where` is `file:line:col`. */
export function jobSyntaxError(where: string, summary: string): RunnerError {
  return new RunnerError('ERR_RUNNER_JOB_SYNTAX', `${where}: ${summary}`)
}

/** The job parses but is not a job this runner can run. */
export function jobInvalidError(message: string): RunnerError {
  return new RunnerError('ERR_RUNNER_JOB_INVALID', message)
}

export function portUnavailableError(label: string, port: number, cause?: unknown): RunnerError {
  return new RunnerError(
    'ERR_RUNNER_PORT_UNAVAILABLE',
    `port "${label}": static port ${port} is in use on this machine; free it or use a dynamic port`,
    { cause },
  )
}

export function artifactError(message: string, cause?: unknown): RunnerError {
  return new RunnerError('ERR_RUNNER_ARTIFACT', message, { cause })
}

export function agentConfigError(message: string, cause?: unknown): RunnerError {
  return new RunnerError('ERR_RUNNER_AGENT_CONFIG', message, { cause })
}

/** The task's `config` block fails the plugin's own spec (hcldec). */
export function taskConfigError(task: string, message: string, cause?: unknown): RunnerError {
  return new RunnerError('ERR_RUNNER_TASK_CONFIG', `task "${task}": ${message}`, { cause })
}

export function pluginError(message: string, cause?: unknown): RunnerError {
  return new RunnerError('ERR_RUNNER_PLUGIN', message, { cause })
}

/** StartTask came back with a gRPC error; `message` is the plugin's text. */
export function taskStartError(task: string, message: string, cause?: unknown): RunnerError {
  return new RunnerError('ERR_RUNNER_TASK_START', `task "${task}": ${message}`, { cause })
}
