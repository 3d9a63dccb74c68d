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
import { pino } from 'pino'

import { parseGoDurationMs } from '../runner/go-duration.js'
import { runJob } from '../runner/job-runner.js'
import { Reporter } from '../runner/reporter.js'

const USAGE = `usage: nomad-iis run <job.hcl> [options]

Runs every task of the job whose driver is "iis", as a Nomad client would,
until Ctrl-C or SIGTERM; then stops everything it started.

options:
  --work-dir <dir>                   alloc dirs and plugin state (default: ./.work/runner)
  --agent-config <file>              agent config with a plugin "nomad_iis" { config { ... } } block
  --json                             one JSON object per line on stdout (event: serving, task-event, exited)
  --keep-alloc-dirs                  keep the alloc dirs (and their logs) on the way out
  --ready-timeout <duration>         how long a task may take to answer HTTP (default: 30s)
  --management-api-port <port>       serve the Management API on this port (passed to the plugin)
  --management-api-address <ip>      its listen address (default: the plugin's)
  --management-api-key <key>         its API key
  --management-api-jwt-secret <s>    its JWT secret
  --verbose                          the plugin's log lines at debug level on stderr
  -h, --help                         this text`

const PASSED_TO_PLUGIN = [
  'management-api-port',
  'management-api-address',
  'management-api-key',
  'management-api-jwt-secret',
] as const

export async function main(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'work-dir': { type: 'string' },
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
      },
    })
  } catch (err) {
    console.error(`nomad-iis run: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  if (positionals.length !== 1) {
    console.error(`nomad-iis run: give exactly one job file\n\n${USAGE}`)
    return 2
  }
  const readyTimeoutMs = parseGoDurationMs(values['ready-timeout'])
  if (readyTimeoutMs === null || readyTimeoutMs < 0) {
    console.error(
      `nomad-iis run: --ready-timeout "${values['ready-timeout']}" is not a duration such as "30s"`,
    )
    return 2
  }
  const apiPort = values['management-api-port']
  if (apiPort !== undefined && !/^\d+$/.test(apiPort)) {
    console.error(`nomad-iis run: --management-api-port "${apiPort}" is not a port number`)
    return 2
  }

  const reporter = new Reporter(process.stdout, process.stderr, values.json)
  const pluginArgs = PASSED_TO_PLUGIN.flatMap((name) =>
    values[name] === undefined ? [] : [`--${name}`, values[name] as string],
  )
  if (apiPort !== undefined) {
    const address = values['management-api-address'] ?? '127.0.0.1'
    reporter.note(
      `management API: http://${address.includes(':') ? `[${address}]` : address}:${apiPort}/`,
    )
  }

  const stop = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return reporter.note(`${signal}: already stopping`)
    reporter.note(`${signal}: stopping every task`)
    stop.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await runJob({
      jobPath: positionals[0],
      workDir: resolve(values['work-dir'] ?? '.work/runner'),
      agentConfigPath: values['agent-config'] ?? null,
      pluginArgs,
      keepAllocDirs: values['keep-alloc-dirs'],
      readyTimeoutMs,
      nodePath: process.execPath,
      pluginMainPath: fileURLToPath(new URL('./main.js', import.meta.url)),
      hostEnv: process.env,
      log: pino({ level: values.verbose ? 'debug' : 'warn' }, pino.destination(2)),
      reporter,
      stop: stop.signal,
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
