/**
 * Turns a request target into a safe URL path: percent-decoded once,
 * backslashes read as slashes (as IIS does), `.` and `..` resolved, and
 * never above the site root. Also IIS's request filtering of hidden segments.
 *
 * @module
 */

export type NormalizedPath =
  { ok: true; path: string } | { ok: false; reason: 'bad-encoding' | 'above-root' | 'nul' }

/**
 * RFC 3986 section 5.2.4 removes dot segments; a `..` that would climb above
 * the root is refused rather than clamped, so `/../etc/passwd` never maps to
 * a file. Decoding happens once: `%252e` stays the literal name `%2e`.
 */
export function normalizeUrlPath(rawPath: string): NormalizedPath {
  let decoded: string
  try {
    decoded = decodeURIComponent(rawPath)
  } catch {
    return { ok: false, reason: 'bad-encoding' }
  }
  if (decoded.includes('\0')) return { ok: false, reason: 'nul' }
  decoded = decoded.replaceAll('\\', '/')
  if (!decoded.includes('/.') && !decoded.includes('//')) {
    return { ok: true, path: decoded.startsWith('/') ? decoded : `/${decoded}` }
  }
  const out: string[] = []
  const segments = decoded.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (out.length === 0) return { ok: false, reason: 'above-root' }
      out.pop()
      continue
    }
    out.push(segment)
  }
  const last = segments[segments.length - 1]
  const isDir = last === '' || last === '.' || last === '..'
  const path = `/${out.join('/')}${isDir && out.length > 0 ? '/' : ''}`
  return { ok: true, path }
}

/**
 * IIS's default `hiddenSegments`: web.config, bin and the App_* folders are
 * never served, whatever their case, anywhere in the path.
 */
export function hasHiddenSegment(path: string): boolean {
  const lower = path.toLowerCase()
  if (!lower.includes('/bin') && !lower.includes('/app_') && !lower.includes('web.config')) {
    return false
  }
  for (const segment of lower.split('/')) {
    if (segment === 'bin' || segment === 'web.config' || segment.startsWith('app_')) return true
  }
  return false
}
