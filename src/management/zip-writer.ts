/**
 * A streaming ZIP writer (APPNOTE 6.3.10) built for folder downloads:
 * entries come from an async iterator and leave in order, while up to a
 * few small files ahead are read, checksummed and deflated in parallel on
 * libuv's pool (zip -r does one at a time). Large files stream through a
 * deflate stream with a data descriptor. ZIP64 records appear only when
 * sizes, offsets or the entry count need them. The output stream fails, and
 * the archive stays unfinished, when any file cannot be read.
 *
 * @module
 */
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { constants as zlibConstants, crc32, createDeflateRaw, deflateRaw } from 'node:zlib'

const deflateRawAsync = promisify(deflateRaw)

/** Files up to this size are read and deflated whole, ahead of their turn. */
const WHOLE_FILE_MAX_BYTES = 4 * 1024 * 1024
/** How many whole files may be prepared ahead of the one being written. */
const PREFETCH_ENTRIES = 8
/**
 * Larger files are first tried on their opening bytes: when those do not
 * shrink by 3 %, the file (media, archives, random data) is stored without
 * spending a full deflate on it.
 */
const SAMPLE_BYTES = 16 * 1024
const SAMPLE_MIN_SAVING = 0.03

const SIG_LOCAL = 0x04034b50
const SIG_DESCRIPTOR = 0x08074b50
const SIG_CENTRAL = 0x02014b50
const SIG_END = 0x06054b50
const SIG_ZIP64_END = 0x06064b50
const SIG_ZIP64_LOCATOR = 0x07064b50
const FLAG_DESCRIPTOR = 0x0008
const FLAG_UTF8 = 0x0800
const METHOD_STORED = 0
const METHOD_DEFLATED = 8
const VERSION_MADE_BY_UNIX = (3 << 8) | 45
const MAX_32 = 0xffffffff
const MAX_16 = 0xffff

export interface ZipSourceEntry {
  /** `/`-separated; folders end in `/`. */
  name: string
  /** Absolute path of a file; null for a folder. */
  path: string | null
  sizeBytes: number
  mtime: Date
  mode: number
}

interface PreparedEntry {
  source: ZipSourceEntry
  /** Deflated (or stored) bytes of a whole file, or null when it streams. */
  data: Buffer | null
  method: number
  crc: number
}

interface CentralRecord {
  name: Buffer
  flags: number
  method: number
  mtime: Date
  crc: number
  compressedSize: number
  size: number
  offset: number
  mode: number
  isFolder: boolean
  /** Decided when the local header is written, from the size known then. */
  isZip64: boolean
}

/** Streams a ZIP of the entries; `level` 0 stores everything. */
export function writeZip(entries: AsyncIterable<ZipSourceEntry>, level: number): Readable {
  return Readable.from(generateZip(entries, level), {
    objectMode: false,
    highWaterMark: 1024 * 1024,
  })
}

async function* generateZip(
  entries: AsyncIterable<ZipSourceEntry>,
  level: number,
): AsyncGenerator<Buffer> {
  const records: CentralRecord[] = []
  let offset = 0
  for await (const prepared of prefetch(entries, level)) {
    const record = makeRecord(prepared, offset)
    const header = localHeader(record, prepared.data === null)
    yield header
    offset += header.length
    if (prepared.data !== null) {
      yield prepared.data
      offset += prepared.data.length
    } else {
      for await (const chunk of streamFile(prepared.source, level, record)) {
        yield chunk
        offset += chunk.length
      }
      const descriptor = dataDescriptor(record)
      yield descriptor
      offset += descriptor.length
    }
    records.push(record)
  }
  yield* centralDirectory(records, offset)
}

/** Keeps up to PREFETCH_ENTRIES small files read and deflated ahead, in order. */
async function* prefetch(
  entries: AsyncIterable<ZipSourceEntry>,
  level: number,
): AsyncGenerator<PreparedEntry> {
  const queue: Array<Promise<PreparedEntry>> = []
  for await (const source of entries) {
    const job = prepare(source, level)
    job.catch(() => undefined)
    queue.push(job)
    if (queue.length > PREFETCH_ENTRIES) yield await queue.shift()!
  }
  while (queue.length > 0) yield await queue.shift()!
}

async function prepare(source: ZipSourceEntry, level: number): Promise<PreparedEntry> {
  if (source.path === null) return { source, data: Buffer.alloc(0), method: METHOD_STORED, crc: 0 }
  if (source.sizeBytes > WHOLE_FILE_MAX_BYTES) {
    return { source, data: null, method: level > 0 ? METHOD_DEFLATED : METHOD_STORED, crc: 0 }
  }
  const raw = await readFile(source.path)
  if (raw.length !== source.sizeBytes) throw changedError(source, raw.length)
  const crc = crc32(raw)
  if (level === 0 || raw.length === 0 || (await looksIncompressible(raw))) {
    return { source, data: raw, method: METHOD_STORED, crc }
  }
  const deflated = await deflateRawAsync(raw, { level })
  // As zip does: keep whichever is smaller.
  if (deflated.length >= raw.length) return { source, data: raw, method: METHOD_STORED, crc }
  return { source, data: deflated, method: METHOD_DEFLATED, crc }
}

async function looksIncompressible(raw: Buffer): Promise<boolean> {
  if (raw.length < 2 * SAMPLE_BYTES) return false
  const sample = await deflateRawAsync(raw.subarray(0, SAMPLE_BYTES), { level: 1 })
  return sample.length > SAMPLE_BYTES * (1 - SAMPLE_MIN_SAVING)
}

async function* streamFile(
  source: ZipSourceEntry,
  level: number,
  record: CentralRecord,
): AsyncGenerator<Buffer> {
  const input = createReadStream(source.path!, { highWaterMark: 1024 * 1024 })
  let size = 0
  let crc = 0
  const counted = (async function* () {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      size += chunk.length
      crc = crc32(chunk, crc)
      yield chunk
    }
  })()
  let compressedSize = 0
  const body =
    record.method === METHOD_DEFLATED
      ? Readable.from(counted).pipe(
          createDeflateRaw({ level, chunkSize: 256 * 1024, flush: zlibConstants.Z_NO_FLUSH }),
        )
      : Readable.from(counted)
  for await (const chunk of body as AsyncIterable<Buffer>) {
    compressedSize += chunk.length
    yield chunk
  }
  if (size !== source.sizeBytes) throw changedError(source, size)
  record.crc = crc
  record.compressedSize = compressedSize
  record.size = size
}

function makeRecord(prepared: PreparedEntry, offset: number): CentralRecord {
  const isStreamed = prepared.data === null
  return {
    name: Buffer.from(prepared.source.name, 'utf8'),
    flags: FLAG_UTF8 | (isStreamed ? FLAG_DESCRIPTOR : 0),
    method: prepared.method,
    mtime: prepared.source.mtime,
    crc: prepared.crc,
    compressedSize: prepared.data?.length ?? 0,
    size: prepared.source.sizeBytes,
    offset,
    mode: prepared.source.mode,
    isFolder: prepared.source.path === null,
    isZip64: prepared.source.sizeBytes >= MAX_32 - 1024 * 1024,
  }
}

function localHeader(record: CentralRecord, isStreamed: boolean): Buffer {
  const isZip64 = record.isZip64
  const extra = isZip64
    ? zip64Extra([isStreamed ? 0 : record.size, isStreamed ? 0 : record.compressedSize])
    : Buffer.alloc(0)
  const header = Buffer.alloc(30)
  header.writeUInt32LE(SIG_LOCAL, 0)
  header.writeUInt16LE(isZip64 ? 45 : 20, 4)
  header.writeUInt16LE(record.flags, 6)
  header.writeUInt16LE(record.method, 8)
  writeDosTime(header, 10, record.mtime)
  header.writeUInt32LE(isStreamed ? 0 : record.crc, 14)
  header.writeUInt32LE(isZip64 ? MAX_32 : isStreamed ? 0 : record.compressedSize, 18)
  header.writeUInt32LE(isZip64 ? MAX_32 : isStreamed ? 0 : record.size, 22)
  header.writeUInt16LE(record.name.length, 26)
  header.writeUInt16LE(extra.length, 28)
  return Buffer.concat([header, record.name, extra])
}

function dataDescriptor(record: CentralRecord): Buffer {
  if (record.isZip64) {
    const descriptor = Buffer.alloc(24)
    descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0)
    descriptor.writeUInt32LE(record.crc, 4)
    descriptor.writeBigUInt64LE(BigInt(record.compressedSize), 8)
    descriptor.writeBigUInt64LE(BigInt(record.size), 16)
    return descriptor
  }
  const descriptor = Buffer.alloc(16)
  descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0)
  descriptor.writeUInt32LE(record.crc, 4)
  descriptor.writeUInt32LE(record.compressedSize, 8)
  descriptor.writeUInt32LE(record.size, 12)
  return descriptor
}

function* centralDirectory(records: CentralRecord[], startOffset: number): Generator<Buffer> {
  let size = 0
  for (const record of records) {
    const entry = centralEntry(record)
    size += entry.length
    yield entry
  }
  const endOffset = startOffset + size
  const isZip64 = records.length >= MAX_16 || startOffset >= MAX_32 || size >= MAX_32
  if (isZip64) yield zip64End(records.length, size, startOffset, endOffset)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(SIG_END, 0)
  end.writeUInt16LE(Math.min(records.length, MAX_16), 8)
  end.writeUInt16LE(Math.min(records.length, MAX_16), 10)
  end.writeUInt32LE(Math.min(size, MAX_32), 12)
  end.writeUInt32LE(Math.min(startOffset, MAX_32), 16)
  yield end
}

function centralEntry(record: CentralRecord): Buffer {
  const big = [record.size, record.compressedSize, record.offset].map((value) => value >= MAX_32)
  const zip64Values = [record.size, record.compressedSize, record.offset].filter((_, i) => big[i])
  const extra = zip64Values.length > 0 ? zip64Extra(zip64Values) : Buffer.alloc(0)
  const entry = Buffer.alloc(46)
  entry.writeUInt32LE(SIG_CENTRAL, 0)
  entry.writeUInt16LE(VERSION_MADE_BY_UNIX, 4)
  entry.writeUInt16LE(zip64Values.length > 0 ? 45 : 20, 6)
  entry.writeUInt16LE(record.flags, 8)
  entry.writeUInt16LE(record.method, 10)
  writeDosTime(entry, 12, record.mtime)
  entry.writeUInt32LE(record.crc >>> 0, 16)
  entry.writeUInt32LE(big[1] ? MAX_32 : record.compressedSize, 20)
  entry.writeUInt32LE(big[0] ? MAX_32 : record.size, 24)
  entry.writeUInt16LE(record.name.length, 28)
  entry.writeUInt16LE(extra.length, 30)
  const fileType = record.isFolder ? 0o040000 : 0o100000
  entry.writeUInt32LE(
    (((fileType | (record.mode & 0o7777)) << 16) | (record.isFolder ? 0x10 : 0)) >>> 0,
    38,
  )
  entry.writeUInt32LE(big[2] ? MAX_32 : record.offset, 42)
  return Buffer.concat([entry, record.name, extra])
}

function zip64Extra(values: number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length)
  extra.writeUInt16LE(0x0001, 0)
  extra.writeUInt16LE(8 * values.length, 2)
  values.forEach((value, i) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * i))
  return extra
}

function zip64End(count: number, size: number, startOffset: number, endOffset: number): Buffer {
  const record = Buffer.alloc(56 + 20)
  record.writeUInt32LE(SIG_ZIP64_END, 0)
  record.writeBigUInt64LE(44n, 4)
  record.writeUInt16LE(VERSION_MADE_BY_UNIX, 12)
  record.writeUInt16LE(45, 14)
  record.writeBigUInt64LE(BigInt(count), 24)
  record.writeBigUInt64LE(BigInt(count), 32)
  record.writeBigUInt64LE(BigInt(size), 40)
  record.writeBigUInt64LE(BigInt(startOffset), 48)
  record.writeUInt32LE(SIG_ZIP64_LOCATOR, 56)
  record.writeBigUInt64LE(BigInt(endOffset), 64)
  record.writeUInt32LE(1, 72)
  return record
}

/** MS-DOS date and time, local time as zip and unzip read it; 1980 at the earliest. */
function writeDosTime(buffer: Buffer, at: number, date: Date): void {
  const year = Math.max(1980, date.getFullYear())
  const time =
    (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2)
  const day = ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate()
  buffer.writeUInt16LE(time, at)
  buffer.writeUInt16LE(day, at + 2)
}

function changedError(source: ZipSourceEntry, actualBytes: number): Error {
  return new Error(
    `'${source.name}' changed while it was zipped (${actualBytes} bytes, not ${source.sizeBytes})`,
  )
}
