/**
 * The plugin's command-line arguments, given by the agent's
 * `plugin "nomad_iis" { args = [...] }`: `--name=value` or `--name value`.
 *
 * @module
 */
import { PluginError } from './errors.js'

export interface PluginArgs {
  /** The Management API listens only when a port is given. */
  managementApiPort: number | null
  managementApiAddress: string | null
  managementApiKey: string | null
  managementApiJwtSecret: string | null
}

const FLAGS = {
  'management-api-port': 'managementApiPort',
  'management-api-address': 'managementApiAddress',
  'management-api-key': 'managementApiKey',
  'management-api-jwt-secret': 'managementApiJwtSecret',
} as const

/** Parses the args; an unknown or malformed one is an error naming it. */
export function parsePluginArgs(argv: string[]): PluginArgs {
  const raw = new Map<string, string>()
  for (let i = 0; i < argv.length; i += 1) {
    const match = /^--?([a-z-]+)(?:=(.*))?$/s.exec(argv[i])
    if (match === null || !(match[1] in FLAGS)) {
      throw usage(
        `unknown plugin argument '${argv[i]}'; known: ${Object.keys(FLAGS)
          .map((f) => `--${f}`)
          .join(', ')}`,
      )
    }
    const value = match[2] ?? argv[(i += 1)]
    if (value === undefined) throw usage(`plugin argument '--${match[1]}' needs a value`)
    raw.set(match[1], value)
  }
  return {
    managementApiPort: port(raw.get('management-api-port')),
    managementApiAddress: raw.get('management-api-address') ?? null,
    managementApiKey: raw.get('management-api-key') ?? null,
    managementApiJwtSecret: raw.get('management-api-jwt-secret') ?? null,
  }
}

function port(value: string | undefined): number | null {
  if (value === undefined) return null
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) {
    throw usage(`--management-api-port is '${value}'; give a port number from 1 to 65535`)
  }
  return n
}

function usage(message: string): PluginError {
  return new PluginError('ERR_PLUGIN_USAGE', message)
}
