/**
 * A pino-compatible logger that writes one readable line per entry, for the
 * plugin's log lines (hclog JSON on its stderr) that the runner passes on
 * to people: `plugin warn: <message> key=value ...`.
 *
 * @module
 */
import type { Writable } from 'node:stream'

import type { PluginLogger } from './plugin-client.js'

type Level = keyof PluginLogger

const LEVELS: Level[] = ['trace', 'debug', 'info', 'warn', 'error']

export class TextLogger implements PluginLogger {
  readonly #out: Writable
  readonly #minIndex: number

  constructor(out: Writable, minLevel: Level) {
    this.#out = out
    this.#minIndex = LEVELS.indexOf(minLevel)
  }

  trace(obj: object, msg?: string): void {
    this.#write('trace', obj, msg)
  }

  debug(obj: object, msg?: string): void {
    this.#write('debug', obj, msg)
  }

  info(obj: object, msg?: string): void {
    this.#write('info', obj, msg)
  }

  warn(obj: object, msg?: string): void {
    this.#write('warn', obj, msg)
  }

  error(obj: object, msg?: string): void {
    this.#write('error', obj, msg)
  }

  #write(level: Level, obj: object, msg: string | undefined): void {
    if (LEVELS.indexOf(level) < this.#minIndex) return
    const fields = Object.entries(obj)
      .filter(([key]) => key !== 'plugin')
      .map(([key, value]) => `${key}=${formatValue(value)}`)
    const text = [msg ?? '', ...fields].filter((part) => part !== '').join(' ')
    this.#out.write(`plugin ${level}: ${text}\n`)
  }
}

function formatValue(value: unknown): string {
  if (value instanceof Error) return JSON.stringify(value.message)
  if (typeof value === 'string') return /\s|"/.test(value) ? JSON.stringify(value) : value
  return JSON.stringify(value) ?? String(value)
}
