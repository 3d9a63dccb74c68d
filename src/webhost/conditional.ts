/**
 * Conditional requests (RFC 9110 section 13) and byte ranges (RFC 9110
 * section 14) for a static representation with a strong validator.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'

export interface Validators {
  etag: string
  /** Last-Modified as an HTTP-date. */
  lastModified: string
  /** Modification time truncated to whole seconds, as HTTP-dates carry it. */
  mtimeSeconds: number
}

/** What the preconditions decide, evaluated in RFC 9110 section 13.2.2's order. */
export type Precondition = 'proceed' | 'not-modified' | 'failed'

export function evaluatePreconditions(
  headers: IncomingHttpHeaders,
  v: Validators,
  isGetOrHead: boolean,
): Precondition {
  // Step 1, RFC 9110 section 13.1.1: If-Match uses the strong comparison.
  const ifMatch = headers['if-match']
  if (ifMatch !== undefined) {
    if (!matchesEtag(ifMatch, v.etag, false)) return 'failed'
  } else {
    // Step 2, section 13.1.4: If-Unmodified-Since only without If-Match.
    const since = parseHttpDate(headers['if-unmodified-since'])
    if (since !== null && v.mtimeSeconds > since) return 'failed'
  }
  // Step 3, section 13.1.2: If-None-Match uses the weak comparison.
  const ifNoneMatch = headers['if-none-match']
  if (ifNoneMatch !== undefined) {
    if (matchesEtag(ifNoneMatch, v.etag, true)) return isGetOrHead ? 'not-modified' : 'failed'
    return 'proceed'
  }
  // Step 4, section 13.1.3: If-Modified-Since only for GET/HEAD and without If-None-Match.
  if (!isGetOrHead) return 'proceed'
  const since = parseHttpDate(headers['if-modified-since'])
  if (since !== null && v.mtimeSeconds <= since) return 'not-modified'
  return 'proceed'
}

export type RangeDecision =
  /** Send the whole representation with 200. */
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' }

/**
 * RFC 9110 section 14.2: Range applies to GET only; an If-Range that does
 * not match (section 13.1.5: strong ETag comparison, or an exactly equal
 * date) means the whole representation. A syntactically invalid Range is
 * ignored. Several ranges are answered with the whole representation, which
 * section 14.2 allows ("a server MAY ignore the Range header field").
 */
export function evaluateRange(
  headers: IncomingHttpHeaders,
  v: Validators,
  size: number,
  isGet: boolean,
): RangeDecision {
  const range = headers.range
  if (!isGet || range === undefined) return { kind: 'full' }
  const ifRange = headers['if-range'] as string | undefined
  if (ifRange !== undefined && !ifRangeMatches(ifRange, v)) return { kind: 'full' }
  const match = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range)
  if (match === null) return { kind: 'full' }
  const [, first, last] = match
  if (first === '' && last === '') return { kind: 'full' }
  if (first === '') {
    // Suffix range, section 14.1.2: the last N bytes.
    const length = Number(last)
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return { kind: 'full' }
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start, end }
}

function ifRangeMatches(value: string, v: Validators): boolean {
  const trimmed = value.trim()
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) return trimmed === v.etag
  const date = parseHttpDate(trimmed)
  return date !== null && date === v.mtimeSeconds
}

/** A list of entity tags, or `*`; weak comparison ignores the `W/` prefix (section 8.8.3.2). */
function matchesEtag(header: string, etag: string, isWeak: boolean): boolean {
  if (header.trim() === '*') return true
  for (const raw of header.split(',')) {
    let tag = raw.trim()
    if (tag.startsWith('W/')) {
      if (!isWeak) continue
      tag = tag.slice(2)
    }
    if (tag === etag) return true
  }
  return false
}

function parseHttpDate(value: string | undefined): number | null {
  if (value === undefined) return null
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000)
}
