/**
 * Plugin mode: what runs when a Nomad client starts this executable with
 * its magic cookie. Started by a person without the cookie, it explains
 * and exits non-zero. Wires the driver core, the gRPC plugin server and,
 * when a port is given, the Management API; holds no logic of its own.
 *
 * @module
 */
import { Driver } from '../driver/driver.js'
import { createHclogLogger } from '../plugin/hclog.js'
import type { Logger } from '../plugin/hclog.js'
import { startManagementOnConfig } from './management-wiring.js'
import { parsePluginArgs } from '../plugin/plugin-args.js'
import { readPackageVersion } from '../plugin/protos.js'
import { servePlugin } from '../plugin/server.js'
import { isStartedByNomad } from './plugin-cookie.js'

const EXPLANATION = `nomad-iis plugin: this mode is for Nomad only.

Nomad starts this executable by itself as a task driver plugin: put it in the
client's plugin_dir and add a plugin "<file name>" block to the agent config
(see the README's "Installing the plugin" section). To run a job on this
machine without Nomad, use: nomad-iis run <job.hcl>`

/** Serves the plugin until Nomad shuts it down; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (!isStartedByNomad(process.env)) {
    console.error(EXPLANATION)
    return 1
  }
  guardStdio()
  const log = createHclogLogger({ level: logLevel() })
  routeConsoleToLog(log)
  // A terminal Ctrl-C reaches the whole foreground group; the agent stops us in order.
  process.on('SIGINT', () => log.debug({}, 'ignoring SIGINT; the agent shuts the plugin down'))
  warnAboutHostSettings(log)
  let args
  try {
    args = parsePluginArgs(argv)
  } catch (err) {
    log.error({ err }, err instanceof Error ? err.message : String(err))
    return 2
  }
  const driver = new Driver({ logger: log })
  const plugin = await servePlugin({
    driver,
    log,
    version: readPackageVersion(),
    onClose: () => driver.close(),
  })
  const management = startManagementOnConfig({ state: plugin.state, driver, args, log })
  process.on('SIGTERM', () => void plugin.close())
  await plugin.closed
  await management.close()
  // Leftover handles of libraries must not keep a shut-down plugin alive (pitfall 13).
  setTimeout(() => process.exit(0), 200)
  return 0
}

/** Settings a go-plugin host may send that this plugin does not support (reference 1.2, 1.6). */
function warnAboutHostSettings(log: Logger): void {
  if (process.env.PLUGIN_CLIENT_CERT !== undefined) {
    log.error(
      {},
      'the host asked for AutoMTLS, which this plugin does not support; serving plaintext',
    )
  }
  const versions = (process.env.PLUGIN_PROTOCOL_VERSIONS ?? '2').split(',').map((v) => v.trim())
  if (!versions.includes('2')) {
    log.error(
      { offered: versions },
      'the host does not offer plugin protocol version 2, the only one served',
    )
  }
}

/** Nobody may read our pipes any more (agent crashed, plugin reattached): never die of EPIPE. */
function guardStdio(): void {
  const ignore = () => undefined
  process.stdout.on('error', ignore)
  process.stderr.on('error', ignore)
}

/** Library chatter must never reach stdout, where only the handshake may go. */
function routeConsoleToLog(log: Logger): void {
  const text = (args: unknown[]) =>
    args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ')
  console.log = (...args: unknown[]) => log.info({}, text(args))
  console.info = (...args: unknown[]) => log.info({}, text(args))
  console.debug = (...args: unknown[]) => log.debug({}, text(args))
  console.warn = (...args: unknown[]) => log.warn({}, text(args))
  console.error = (...args: unknown[]) => log.error({}, text(args))
}

function logLevel(): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  const level = process.env.NOMAD_IIS_LOG_LEVEL?.toLowerCase()
  const known = ['trace', 'debug', 'info', 'warn', 'error'] as const
  return known.find((k) => k === level) ?? 'debug'
}
