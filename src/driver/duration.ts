/**
 * Durations as the IIS driver accepts them in job files: Go-style unit
 * sequences (`1h30m`, `90s`, `1w2d`, `250ms`) and .NET's constant TimeSpan
 * form (`[-][d.]hh:mm:ss[.fffffff]`, e.g. `00:20:00` or `1.02:00:00`).
 *
 * @module
 */
import { DriverError } from './errors.js'

const UNIT_MS: Readonly<Record<string, number>> = {
  w: 7 * 24 * 3_600_000,
  d: 24 * 3_600_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
}

// Units must come in this order, each at most once, as the IIS driver's parser requires.
const UNIT_ORDER = ['w', 'd', 'h', 'm', 's', 'ms']

// .NET TimeSpan "c" format: optional days with a dot, hours 0-23, minutes and seconds 0-59.
const TIMESPAN_RE = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/

/**
 * Parses a duration written in a job or agent config into milliseconds.
 *
 * @param value the text, e.g. `1h30m` or `01:30:00`
 * @param where the key and block it came from, quoted in the error
 * @throws {DriverError} ERR_DRIVER_INVALID_DURATION when neither form matches
 */
export function parseDuration(value: string, where: string): number {
  const text = value.trim()
  const ms = text.includes(':') ? parseTimeSpan(text) : parseUnits(text)
  if (ms === null) {
    throw new DriverError(
      'ERR_DRIVER_INVALID_DURATION',
      `${where} has an invalid duration "${value}": write it as HH:mm:ss (e.g. 00:20:00) or with units in the order w d h m s ms (e.g. 1h30m, 90s)`,
    )
  }
  return ms
}

function parseTimeSpan(text: string): number | null {
  const match = TIMESPAN_RE.exec(text)
  if (!match) return null
  const [, sign, days, hours, minutes, seconds, fraction] = match
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return null
  // A negative duration has no meaning for any setting that takes one.
  if (sign) return null

  const fractionMs = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0
  return (
    Number(days ?? 0) * UNIT_MS.d! +
    Number(hours) * UNIT_MS.h! +
    Number(minutes) * UNIT_MS.m! +
    Number(seconds) * UNIT_MS.s! +
    fractionMs
  )
}

function parseUnits(text: string): number | null {
  const parts = [...text.matchAll(/(\d+)\s*(ms|w|d|h|m|s)\s*/gy)]
  const consumed = parts.reduce((length, part) => length + part[0].length, 0)
  if (parts.length === 0 || consumed !== text.length) return null

  let total = 0
  let lastUnitIndex = -1
  for (const [, amount, unit] of parts) {
    const unitIndex = UNIT_ORDER.indexOf(unit!)
    if (unitIndex <= lastUnitIndex) return null
    lastUnitIndex = unitIndex
    total += Number(amount) * UNIT_MS[unit!]!
  }
  return total
}
