/**
 * Just enough of an HTTP/1.x request head to route a connection: the target
 * path and the Host header. Everything else is left to the worker, which
 * parses the same bytes again with Node's own parser.
 *
 * @module
 */

/** Heads longer than this are refused (RFC 9110 leaves the limit to servers; HTTP.sys uses 16 KiB). */
export const MAX_HEAD_BYTES = 16 * 1024

export interface RequestHead {
  /** The path part of the target, still percent-encoded. */
  rawPath: string
  /** Host header value without the port, lowercased; null when absent. */
  host: string | null
}

/** Offset just past the blank line ending the head, or -1 when it has not arrived yet. */
export function findHeadEnd(buffer: Buffer): number {
  const index = buffer.indexOf('\r\n\r\n', 0, 'latin1')
  return index === -1 ? -1 : index + 4
}

/** Parses the head; null for something that is not an HTTP/1.x request. */
export function parseRequestHead(buffer: Buffer, end: number): RequestHead | null {
  const text = buffer.toString('latin1', 0, end)
  const lineEnd = text.indexOf('\r\n')
  const [method, target, version] = text.slice(0, lineEnd).split(' ')
  if (method === undefined || target === undefined || !version?.startsWith('HTTP/1.')) return null
  let host: string | null = null
  for (const line of text.slice(lineEnd + 2).split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === 'host') {
      host = stripPort(
        line
          .slice(colon + 1)
          .trim()
          .toLowerCase(),
      )
      break
    }
  }
  return { rawPath: targetPath(target), host }
}

/** Origin-form `/a?b` or absolute-form `http://h/a?b` (RFC 9112 section 3.2) to its path. */
export function targetPath(target: string): string {
  let path = target
  if (!path.startsWith('/')) {
    const scheme = path.indexOf('://')
    if (scheme === -1) return '/'
    const slash = path.indexOf('/', scheme + 3)
    path = slash === -1 ? '/' : path.slice(slash)
  }
  const query = path.indexOf('?')
  return query === -1 ? path : path.slice(0, query)
}

/** `example.com:8080` to `example.com`, `[::1]:80` to `[::1]`. */
export function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const close = host.indexOf(']')
    return close === -1 ? host : host.slice(0, close + 1)
  }
  const colon = host.indexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}

/** Decodes a path for routing; null when its percent-encoding is broken. */
export function decodePath(rawPath: string): string | null {
  try {
    return decodeURIComponent(rawPath).replaceAll('\\', '/')
  } catch {
    return null
  }
}

/** Whether a Host (portless, lowercased) is accepted by a listener's hostnames. */
export function isHostAccepted(host: string | null, hostnames: (string | null)[]): boolean {
  for (const name of hostnames) {
    if (name === null) return true
    if (host !== null && host === name) return true
  }
  return false
}
