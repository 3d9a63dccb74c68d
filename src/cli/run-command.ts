/**
 * `nomad-iis run <job.hcl> [options]`: runs a Nomad job file on this
 * machine with the local runner (see docs/runner.md). Parses the options,
 * wires SIGINT/SIGTERM to an orderly stop and hands over to runner/.
 *
 * @module
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import { parseGoDurationMs } from '../runner/go-duration.js'
import { runJob } from '../runner/job-runner.js'
import { Reporter } from '../runner/reporter.js'
import { TextLogger } from '../runner/text-logger.js'

const USAGE = `usage: nomad-iis run <job.hcl> [options]

Runs every task of the job whose driver is "iis", as a Nomad client would,
until Ctrl-C or SIGTERM; then stops everything it started.

options:
  --work-dir <dir>                   alloc dirs and plugin state (default: ./.work/runner)
  --var <name=value>                 a value for one of the job's variable blocks (repeatable)
  --agent-config <file>              agent config with a plugin "nomad_iis" { config { ... } } block
  --json                             one JSON object per line on stdout (see docs/runner.md)
  --keep-alloc-dirs                  keep the alloc dirs (and their logs) on the way out
  --ready-timeout <duration>         how long a task may take to answer HTTP (default: 30s)
  --management-api-port <port>       serve the Management API on this port (passed to the plugin)
  --management-api-address <ip>      its listen address (default: 127.0.0.1 when open, all with auth)
  --management-api-key <key>         its API key
  --management-api-jwt-secret <s>    its JWT secret
  --verbose                          the plugin's log lines down to debug level on stderr
  -h, --help                         this text`

/** Signals that ask for an orderly stop; SIGHUP is a closed terminal. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

const PASSED_TO_PLUGIN = [
  'management-api-port',
  'management-api-address',
  'management-api-key',
  'management-api-jwt-secret',
] as const

const OPTIONS = {
  'work-dir': { type: 'string' },
  var: { type: 'string', multiple: true },
  'agent-config': { type: 'string' },
  json: { type: 'boolean', default: false },
  'keep-alloc-dirs': { type: 'boolean', default: false },
  'ready-timeout': { type: 'string', default: '30s' },
  'management-api-port': { type: 'string' },
  'management-api-address': { type: 'string' },
  'management-api-key': { type: 'string' },
  'management-api-jwt-secret': { type: 'string' },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values']

/** Validated command line, or the exit code to return at once. */
interface Parsed {
  jobPath: string
  values: Values
  variables: Record<string, string>
  readyTimeoutMs: number
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv)
  if (typeof parsed === 'number') return parsed
  const { values } = parsed

  const reporter = new Reporter(process.stdout, process.stderr, values.json)
  const pluginArgs = PASSED_TO_PLUGIN.flatMap((name) =>
    values[name] === undefined ? [] : [`--${name}`, values[name] as string],
  )
  const apiPort = values['management-api-port']
  if (apiPort !== undefined) {
    const address = values['management-api-address'] ?? '127.0.0.1'
    const host = address.includes(':') ? `[${address}]` : address
    reporter.note(`management API: http://${host}:${apiPort}/`)
  }

  const stop = new AbortController()
  const forceQuit = new AbortController()
  const onSignal = stopOnSignals(reporter, stop, forceQuit)
  // Output nobody reads any more (`| head` done, terminal gone) is a stop
  // request, as SIGPIPE would be, not a crash that leaves the sites behind.
  // Later writes fail too: this stays installed, and never counts as a second signal.
  process.stdout.on('error', () => stop.abort())
  process.stderr.on('error', () => {})
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
  try {
    return await runJob({
      jobPath: parsed.jobPath,
      variables: parsed.variables,
      workDir: resolve(values['work-dir'] ?? '.work/runner'),
      agentConfigPath: values['agent-config'] ?? null,
      pluginArgs,
      keepAllocDirs: values['keep-alloc-dirs'],
      readyTimeoutMs: parsed.readyTimeoutMs,
      nodePath: process.execPath,
      pluginMainPath: fileURLToPath(new URL('./main.js', import.meta.url)),
      hostEnv: process.env,
      log: new TextLogger(process.stderr, values.verbose ? 'debug' : 'warn'),
      reporter,
      stop: stop.signal,
      forceQuit: forceQuit.signal,
    })
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
  }
}

/**
 * The first signal stops every task in order; the second is acknowledged;
 * the third kills the plugin and quits at once, leaving the sites running.
 */
export function stopOnSignals(
  reporter: Reporter,
  stop: AbortController,
  forceQuit: AbortController,
  exit: (code: number) => void = (code) => process.exit(code),
) {
  let count = 0
  return (signal: NodeJS.Signals): void => {
    count++
    if (count === 1) {
      reporter.note(`${signal}: stopping every task`)
      return stop.abort()
    }
    if (count === 2) {
      return reporter.note(
        `${signal}: already stopping; once more quits at once, leaving tasks running`,
      )
    }
    reporter.error(
      `${signal}: quitting without stopping; sites may still run (see the state dir's registry)`,
    )
    forceQuit.abort()
    exit(130)
  }
}

function parseCommandLine(argv: string[]): Parsed | number {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err))
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (positionals.length !== 1) return usageError('give exactly one job file')
  const readyTimeoutMs = parseGoDurationMs(values['ready-timeout'])
  if (readyTimeoutMs === null || readyTimeoutMs < 0) {
    return usageError(
      `--ready-timeout "${values['ready-timeout']}" is not a duration such as "30s"`,
    )
  }
  const apiPort = values['management-api-port']
  if (apiPort !== undefined && !/^\d+$/.test(apiPort)) {
    return usageError(`--management-api-port "${apiPort}" is not a port number`)
  }
  const variables: Record<string, string> = {}
  for (const pair of values.var ?? []) {
    const at = pair.indexOf('=')
    if (at < 1) return usageError(`--var "${pair}" is not name=value`)
    variables[pair.slice(0, at)] = pair.slice(at + 1)
  }
  return { jobPath: positionals[0], values, readyTimeoutMs, variables }
}

function usageError(message: string): number {
  console.error(`nomad-iis run: ${message}\n\n${USAGE}`)
  return 2
}
