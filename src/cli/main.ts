#!/usr/bin/env node
/**
 * The single executable. Started by Nomad (magic cookie in the environment)
 * it serves the driver plugin; started by a person it runs a subcommand.
 * Each subcommand lives in its own module and is loaded only when used, so
 * plugin mode pays for nothing else.
 *
 * @module
 */
import { isStartedByNomad } from './plugin-cookie.js'

interface CommandModule {
  main(argv: string[]): Promise<number>
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  run: { summary: 'run a Nomad job file locally', load: () => import('./run-command.js') },
  token: { summary: 'mint a Management API token', load: () => import('./token-command.js') },
  plugin: { summary: 'serve the driver plugin', load: () => import('./plugin-command.js') },
}

const USAGE = `nomad-iis: a Nomad task driver that runs web applications the way IIS does

usage: nomad-iis <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(8)} ${summary}`)
  .join('\n')}

Nomad starts this executable as a driver plugin by itself; see the README.`

async function main(argv: string[]): Promise<number> {
  if (isStartedByNomad(process.env)) {
    const plugin = await COMMANDS.plugin.load()
    return plugin.main(argv)
  }
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.error(USAGE)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) {
    console.error(`nomad-iis: unknown command '${name}'\n\n${USAGE}`)
    return 2
  }
  return (await command.load()).main(rest)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(`nomad-iis: ${err instanceof Error ? err.message : String(err)}`)
    process.exitCode = 1
  },
)
