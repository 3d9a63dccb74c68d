/**
 * Turns the driver's per-process samples into TaskStatsResponse messages.
 * Every response carries `stats`, its timestamp and `agg_resource_usage`
 * (the Nomad client dereferences them), and `measured_fields` lists only
 * what is really measured: CPU user, system and total percent, and RSS.
 * User and system percentages come from the CPU time used between two
 * samples of the same pid, so the first sample of a pid reports them as 0.
 *
 * @module
 */
import type { ProcessUsage, TaskUsage } from '../driver/types.js'
import type { Message } from './convert.js'
import { toTimestamp } from './convert.js'

const CPU_FIELDS = ['SYSTEM_MODE', 'USER_MODE', 'PERCENT']
const CPU_FIELDS_WITH_TICKS = [...CPU_FIELDS, 'TOTAL_TICKS']
const MEMORY_FIELDS = ['RSS']

interface PreviousSample {
  atMs: number
  userMs: number
  systemMs: number
}

/**
 * Keeps the previous sample of each pid for one stats stream. With the
 * core's clock speed known (`cpuMhz`), `total_ticks` is filled as Nomad's
 * Go drivers do (percent of one core times its MHz) and listed as measured.
 */
export class StatsAccumulator {
  #previous = new Map<number, PreviousSample>()
  #cpuMhz: number | null

  constructor(cpuMhz: number | null = null) {
    this.#cpuMhz = cpuMhz
  }

  toResponse(taskId: string, usage: TaskUsage): Message {
    const byPid: Record<string, Message> = {}
    const total = { user: 0, system: 0, percent: 0, rss: 0 }
    const seen = new Map<number, PreviousSample>()
    for (const process of usage.processes) {
      const cpu = this.#cpu(process, usage.at.getTime())
      seen.set(process.pid, {
        atMs: usage.at.getTime(),
        userMs: process.cpuUserMs,
        systemMs: process.cpuSystemMs,
      })
      byPid[String(process.pid)] = this.#usage(
        cpu.user,
        cpu.system,
        process.cpuPercent,
        process.rssBytes,
      )
      total.user += cpu.user
      total.system += cpu.system
      total.percent += process.cpuPercent
      total.rss += process.rssBytes
    }
    this.#previous = seen
    return {
      stats: {
        id: taskId,
        timestamp: toTimestamp(usage.at),
        agg_resource_usage: this.#usage(total.user, total.system, total.percent, total.rss),
        resource_usage_by_pid: byPid,
      },
    }
  }

  #cpu(process: ProcessUsage, atMs: number): { user: number; system: number } {
    const previous = this.#previous.get(process.pid)
    if (previous === undefined || atMs <= previous.atMs) return { user: 0, system: 0 }
    const elapsed = atMs - previous.atMs
    return {
      user: Math.max(0, ((process.cpuUserMs - previous.userMs) / elapsed) * 100),
      system: Math.max(0, ((process.cpuSystemMs - previous.systemMs) / elapsed) * 100),
    }
  }

  #usage(user: number, system: number, percent: number, rss: number): Message {
    const mhz = this.#cpuMhz
    return {
      cpu: {
        user_mode: user,
        system_mode: system,
        percent,
        total_ticks: mhz === null ? 0 : (percent / 100) * mhz,
        measured_fields: mhz === null ? CPU_FIELDS : CPU_FIELDS_WITH_TICKS,
      },
      memory: { rss: Math.round(rss), measured_fields: MEMORY_FIELDS },
    }
  }
}

/** The fastest core's clock from /proc/cpuinfo, or null where it is not reported. */
export function readCpuMhz(cpuinfo: string): number | null {
  const speeds = [...cpuinfo.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]))
  const valid = speeds.filter((mhz) => Number.isFinite(mhz) && mhz > 0)
  return valid.length === 0 ? null : Math.max(...valid)
}
