/**
 * What `nomad-iis run` prints. For people: short lines on stdout. With
 * `--json`: stdout carries only JSON objects, one per line, each with an
 * `event` field (`serving` once per task when it answers HTTP, `task-event`
 * for the driver's events, `exited` when a task ends, `plugin-started` with
 * the plugin's pid, `failed` with the error code when the run fails);
 * everything else goes to stderr, so a script can read stdout line by line.
 *
 * @module
 */
import type { Writable } from 'node:stream'

import type { TaskUrl } from './task-urls.js'

export interface ServingRecord {
  jobId: string
  groupName: string
  allocId: string
  taskName: string
  taskId: string
  urls: TaskUrl[]
  allocDir: string
  /** True when the first URL answered HTTP before the readiness deadline. */
  isReady: boolean
  /** The first log file of each stream; null with `logs { disabled = true }`. */
  logs: { stdout: string | null; stderr: string | null }
}

export interface ExitRecord {
  allocId: string
  taskName: string
  exitCode: number
  signal: number
  err: string
  /** The last TaskStats sample before the end, when one came. */
  lastUsage: { rssBytes: number; cpuPercent: number } | null
}

export class Reporter {
  readonly #out: Writable
  readonly #err: Writable
  readonly #isJson: boolean

  constructor(out: Writable, err: Writable, isJson: boolean) {
    this.#out = out
    this.#err = err
    this.#isJson = isJson
  }

  /** A line for people: stdout, or stderr in JSON mode. */
  note(text: string): void {
    ;(this.#isJson ? this.#err : this.#out).write(`${text}\n`)
  }

  /** A problem: always stderr. */
  error(text: string): void {
    this.#err.write(`nomad-iis run: ${text}\n`)
  }

  /** The run failed: stderr, and in JSON mode a `failed` line with the error code. */
  failed(code: string | null, message: string): void {
    this.error(message)
    if (this.#isJson) this.#json({ event: 'failed', code, message })
  }

  serving(record: ServingRecord): void {
    if (this.#isJson)
      return this.#json({
        event: 'serving',
        ...record,
        urls: record.urls.map((u) => u.url),
        bindings: record.urls,
      })
    const state = record.isReady ? 'serving' : 'started (not answering HTTP yet)'
    const lines = [`alloc ${record.allocId}  task "${record.taskName}"  ${state}`]
    for (const url of record.urls)
      lines.push(`  ${url.url}${url.hostname === null ? '' : `  (Host: ${url.hostname})`}`)
    if (record.urls.length === 0) lines.push('  (no http binding)')
    this.#out.write(`${lines.join('\n')}\n`)
  }

  taskEvent(
    taskName: string,
    allocId: string,
    message: string,
    annotations: Record<string, string>,
  ): void {
    if (this.#isJson)
      return this.#json({ event: 'task-event', allocId, taskName, message, annotations })
    this.#out.write(`event  ${taskName}: ${message}\n`)
  }

  exited(record: ExitRecord): void {
    if (this.#isJson) return this.#json({ event: 'exited', ...record })
    const how = record.signal > 0 ? `signal ${record.signal}` : `exit code ${record.exitCode}`
    this.#out.write(
      `task "${record.taskName}" ended (${how})${record.err === '' ? '' : `: ${record.err}`}\n`,
    )
  }

  /** A plugin process is up (the first, or one replacing a dead one). */
  pluginStarted(pid: number | null): void {
    if (this.#isJson) return this.#json({ event: 'plugin-started', pid })
    this.note(`plugin started (pid ${pid ?? 'unknown'})`)
  }

  #json(value: object): void {
    this.#out.write(`${JSON.stringify(value)}\n`)
  }
}
