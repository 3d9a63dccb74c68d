/**
 * Go's duration syntax (`time.ParseDuration`), which Nomad uses for
 * `kill_timeout` and friends: a sequence of decimal numbers with units,
 * such as `300ms`, `1.5h` or `2h45m`.
 *
 * @module
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y

/**
 * Parses a Go duration into milliseconds, or returns null when the text is
 * not one (the caller names the field in its error).
 */
export function parseGoDurationMs(text: string): number | null {
  const trimmed = text.trim()
  const sign = trimmed.startsWith('-') ? -1 : 1
  const body = trimmed.replace(/^[-+]/, '')
  if (body === '0') return 0
  if (body === '') return null

  let totalMs = 0
  PART.lastIndex = 0
  while (PART.lastIndex < body.length) {
    const match = PART.exec(body)
    if (match === null) return null
    totalMs += Number(match[1]) * UNIT_MS[match[2]]
  }
  return sign * totalMs
}
