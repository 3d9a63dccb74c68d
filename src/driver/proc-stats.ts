/**
 * CPU and memory of processes from Linux's /proc, as Nomad's executor
 * measures them: user and system CPU time from /proc/<pid>/stat and the
 * resident set from /proc/<pid>/statm.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'

export interface ProcSample {
  pid: number
  cpuUserMs: number
  cpuSystemMs: number
  rssBytes: number
}

let clockTicksPerSecond: number | null = null
let pageSizeBytes: number | null = null

/**
 * Reads one process's counters, or null when it is gone.
 */
export async function readProcSample(pid: number): Promise<ProcSample | null> {
  let stat: string
  let statm: string
  try {
    ;[stat, statm] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/statm`, 'utf8'),
    ])
  } catch {
    return null
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields
  // are counted from after its closing parenthesis; utime and stime are 14 and 15.
  const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = clockTicks()
  const utime = Number(afterName[11])
  const stime = Number(afterName[12])
  const residentPages = Number(statm.split(' ')[1])
  return {
    pid,
    cpuUserMs: (utime * 1000) / ticks,
    cpuSystemMs: (stime * 1000) / ticks,
    rssBytes: residentPages * pageSize(),
  }
}

function clockTicks(): number {
  clockTicksPerSecond ??= readConf('CLK_TCK', 100)
  return clockTicksPerSecond
}

function pageSize(): number {
  pageSizeBytes ??= readConf('PAGESIZE', 4096)
  return pageSizeBytes
}

// Node has no sysconf; getconf is part of every libc install. Read once.
function readConf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim())
    return Number.isFinite(value) && value > 0 ? value : fallback
  } catch {
    return fallback
  }
}
