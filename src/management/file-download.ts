/**
 * One file out of the task directory: ETag, conditional GET, a single byte
 * range (RFC 9110 section 14), HEAD, and a Content-Disposition naming it.
 *
 * @module
 */
import { createReadStream } from 'node:fs'
import type { Stats } from 'node:fs'
import { open } from 'node:fs/promises'
import { basename } from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { RangeNotSatisfiableError } from './errors.js'

/** Large reads: fewer trips through the stream machinery per file (1 MiB file: one). */
const READ_CHUNK_BYTES = 1024 * 1024

/** A strong validator from inode, size and modification time. */
export function etagOf(stats: Stats): string {
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`
}

/** `attachment` with an ASCII fallback and the RFC 8187 UTF-8 name. */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc8187(fileName)}`
}

export async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  absolutePath: string,
  stats: Stats,
): Promise<FastifyReply> {
  const etag = etagOf(stats)
  reply.header('etag', etag)
  reply.header('last-modified', stats.mtime.toUTCString())
  reply.header('accept-ranges', 'bytes')
  reply.header('content-disposition', contentDisposition(basename(absolutePath)))
  reply.type('application/octet-stream')
  if (matchesAny(request.headers['if-none-match'], etag)) return reply.code(304).send()

  const range = pickRange(request, etag, stats.size)
  if (range !== null) {
    reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${stats.size}`)
  }
  const start = range?.start ?? 0
  const end = range?.end ?? stats.size - 1
  reply.header('content-length', String(Math.max(0, end - start + 1)))
  if (request.method === 'HEAD' || stats.size === 0) return reply.send()
  if (end - start + 1 <= READ_CHUNK_BYTES) {
    // One read into one buffer, one write: a stream costs more than the copy for small files.
    return reply.send(await readRange(absolutePath, start, end - start + 1))
  }
  return reply.send(createReadStream(absolutePath, { start, end, highWaterMark: READ_CHUNK_BYTES }))
}

async function readRange(path: string, start: number, lengthBytes: number): Promise<Buffer> {
  const file = await open(path)
  try {
    const buffer = Buffer.allocUnsafe(lengthBytes)
    const { bytesRead } = await file.read(buffer, 0, lengthBytes, start)
    return buffer.subarray(0, bytesRead)
  } finally {
    await file.close()
  }
}

/** True when an If-Match / If-None-Match list holds the ETag or `*`. */
export function matchesAny(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((item) => {
    const tag = item.trim().replace(/^W\//, '')
    return tag === '*' || tag === etag
  })
}

/** One satisfiable range, or null to send the whole file; several ranges are ignored. */
function pickRange(
  request: FastifyRequest,
  etag: string,
  sizeBytes: number,
): { start: number; end: number } | null {
  const header = request.headers.range
  if (header === undefined || !header.startsWith('bytes=')) return null
  const ifRange = request.headers['if-range']
  if (typeof ifRange === 'string' && ifRange.trim() !== etag) return null
  const specs = header.slice('bytes='.length).split(',')
  if (specs.length !== 1) return null
  const match = /^\s*(\d*)-(\d*)\s*$/.exec(specs[0])
  if (match === null || (match[1] === '' && match[2] === '')) return null
  const range = toRange(match[1], match[2], sizeBytes)
  if (range === null) throw new RangeNotSatisfiableError(sizeBytes)
  return range
}

function toRange(
  first: string,
  last: string,
  sizeBytes: number,
): { start: number; end: number } | null {
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0 || sizeBytes === 0) return null
    return { start: Math.max(0, sizeBytes - suffix), end: sizeBytes - 1 }
  }
  const start = Number(first)
  const end = last === '' ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1)
  if (start >= sizeBytes || end < start) return null
  return { start, end }
}

function encodeRfc8187(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}
