/**
 * The static file handler of the static worker: IIS's StaticFileModule and
 * DefaultDocumentModule on Linux. Publishes `nomad-iis:static:error` on
 * diagnostics_channel when a file cannot be read.
 *
 * @module
 */
import { channel } from 'node:diagnostics_channel'
import { createReadStream, readFileSync } from 'node:fs'
import { lookup } from 'mime-types'
import { evaluatePreconditions, evaluateRange } from './conditional.js'
import { FileCache } from './file-cache.js'
import { FileResolver } from './file-resolver.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Stats } from 'node:fs'
import type { CachedFile } from './file-cache.js'
import type { Route } from './router.js'

const errorChannel = channel('nomad-iis:static:error')

export interface StaticHandlerOptions {
  /** Files up to this size are kept in memory. */
  maxCachedFileBytes: number
  /** Total bytes the cache may hold. */
  maxCacheBytes: number
  /** How long a cached entry is trusted before one stat revalidates it. */
  revalidateMs: number
}

export const STATIC_DEFAULTS: StaticHandlerOptions = {
  maxCachedFileBytes: 4 * 1024 * 1024,
  maxCacheBytes: 64 * 1024 * 1024,
  revalidateMs: 1000,
}

export class StaticHandler {
  #resolver = new FileResolver()
  #cache: FileCache
  #options: StaticHandlerOptions

  constructor(options: StaticHandlerOptions = STATIC_DEFAULTS) {
    this.#options = options
    this.#cache = new FileCache({
      maxBytes: options.maxCacheBytes,
      maxEntries: 10_000,
      revalidateMs: options.revalidateMs,
    })
  }

  /** The cached entry for a key, revalidated; undefined when gone or changed. */
  entry(key: string): CachedFile | undefined {
    return this.#cache.get(key, Date.now())
  }

  /**
   * Resolves and caches the file a route names without answering; the cache
   * key, or null when the route does not name a servable file.
   */
  prepare(route: Route): string | null {
    const key = `${route.physicalRoot}\0${route.rest}`
    if (this.#cache.get(key, Date.now()) !== undefined) return key
    const resolution = this.#resolver.resolve(route.physicalRoot, route.rest)
    if (resolution.kind !== 'file') return null
    const entry = this.#load(resolution.filePath, resolution.stats)
    if (entry === null) return null
    this.#cache.set(key, entry)
    return key
  }

  /**
   * Answers from the cache alone; false (nothing sent) when the entry is
   * gone or changed, or the method is not GET/HEAD.
   */
  serveCached(req: IncomingMessage, res: ServerResponse, key: string): boolean {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') return false
    const cached = this.#cache.get(key, Date.now())
    if (cached === undefined) return false
    sendFile(req, res, cached)
    return true
  }

  /**
   * Answers a request already routed to `route`. `rawPath` and `query` are
   * the target as sent, for the `/dir` to `/dir/` redirect. Returns the
   * cache key when a file was answered (for `serveCached` next time).
   */
  serve(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    rawPath: string,
    query: string,
  ): string | null {
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') {
      sendStatus(res, 405, { Allow: 'GET, HEAD' })
      return null
    }
    const key = `${route.physicalRoot}\0${route.rest}`
    const cached = this.#cache.get(key, Date.now())
    if (cached !== undefined) {
      sendFile(req, res, cached)
      return key
    }
    const resolution = this.#resolver.resolve(route.physicalRoot, route.rest)
    switch (resolution.kind) {
      case 'redirect':
        // RFC 9110 section 15.4.2: 301 with a relative Location (section 10.2.2).
        sendStatus(res, 301, { Location: `${rawPath}/${query}` })
        return null
      case 'forbidden':
        sendStatus(res, 403)
        return null
      case 'not-found':
        sendStatus(res, 404)
        return null
    }
    const entry = this.#load(resolution.filePath, resolution.stats)
    if (entry === null) {
      sendStatus(res, 404)
      return null
    }
    this.#cache.set(key, entry)
    sendFile(req, res, entry)
    return key
  }

  /** Builds a cache entry; null for an extension without a MIME type (IIS answers 404.3). */
  #load(filePath: string, stats: Stats): CachedFile | null {
    const contentType = lookup(filePath)
    if (contentType === false) return null
    let body: Buffer | null = null
    if (stats.size <= this.#options.maxCachedFileBytes) {
      try {
        body = readFileSync(filePath)
      } catch (err) {
        if (errorChannel.hasSubscribers) errorChannel.publish({ filePath, err })
        return null
      }
    }
    const size = body?.length ?? stats.size
    const etag = `"${size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`
    const lastModified = new Date(stats.mtimeMs).toUTCString()
    return {
      filePath,
      size,
      mtimeMs: stats.mtimeMs,
      ino: stats.ino,
      contentType,
      etag,
      lastModified,
      mtimeSeconds: Math.floor(stats.mtimeMs / 1000),
      body,
      fullHeaders: {
        'Content-Type': contentType,
        'Content-Length': size,
        'Accept-Ranges': 'bytes',
        ETag: etag,
        'Last-Modified': lastModified,
      },
      headPrefix: Buffer.from(
        `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\nContent-Length: ${size}\r\n` +
          `Accept-Ranges: bytes\r\nETag: ${etag}\r\nLast-Modified: ${lastModified}\r\nDate: `,
        'latin1',
      ),
      checkedAt: Date.now(),
    }
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, entry: CachedFile): void {
  const headers = req.headers
  const isHead = req.method === 'HEAD'
  const hasConditions =
    headers['if-none-match'] !== undefined ||
    headers['if-modified-since'] !== undefined ||
    headers['if-match'] !== undefined ||
    headers['if-unmodified-since'] !== undefined
  if (hasConditions) {
    const decision = evaluatePreconditions(headers, entry, true)
    if (decision === 'not-modified') {
      // RFC 9110 section 15.4.5: a 304 carries the validators, no content.
      res.writeHead(304, { ETag: entry.etag, 'Last-Modified': entry.lastModified })
      res.end()
      return
    }
    if (decision === 'failed') {
      sendStatus(res, 412)
      return
    }
  }
  const range = evaluateRange(headers, entry, entry.size, !isHead)
  if (range.kind === 'full') {
    res.writeHead(200, entry.fullHeaders)
    if (isHead) res.end()
    else if (entry.body !== null) res.end(entry.body)
    else streamFile(res, entry.filePath, 0, entry.size - 1)
    return
  }
  if (range.kind === 'unsatisfiable') {
    // RFC 9110 section 15.5.17: 416 names the current length.
    sendStatus(res, 416, { 'Content-Range': `bytes */${entry.size}` })
    return
  }
  // RFC 9110 section 15.3.7: 206 with Content-Range for a single part.
  res.writeHead(206, {
    ...entry.fullHeaders,
    'Content-Length': range.end - range.start + 1,
    'Content-Range': `bytes ${range.start}-${range.end}/${entry.size}`,
  })
  if (entry.body !== null) res.end(entry.body.subarray(range.start, range.end + 1))
  else streamFile(res, entry.filePath, range.start, range.end)
}

function streamFile(res: ServerResponse, filePath: string, start: number, end: number): void {
  if (end < start) {
    res.end()
    return
  }
  const stream = createReadStream(filePath, { start, end, highWaterMark: 256 * 1024 })
  stream.on('error', (err) => {
    if (errorChannel.hasSubscribers) errorChannel.publish({ filePath, err })
    res.destroy(err)
  })
  stream.pipe(res)
}

const STATUS_BODIES: Record<number, string> = {
  301: 'Moved Permanently',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  412: 'Precondition Failed',
  416: 'Range Not Satisfiable',
}

/** A short plain-text answer for a status without a file. */
export function sendStatus(
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
): void {
  const body = `${STATUS_BODIES[status] ?? 'Error'}\n`
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  })
  res.end(body)
}
