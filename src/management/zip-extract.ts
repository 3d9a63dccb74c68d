/**
 * Checks a received ZIP whole and extracts it into a staging folder, which
 * the target never sees until everything has passed. Checked: that it is a
 * ZIP at all, entry count, declared sizes against the total limit and the
 * expansion ratio, entry names (absolute, drive letters, `..`, NUL: 422;
 * `dir\file.txt` from Windows tools becomes a folder), symlink and
 * encrypted entries, every CRC-32 and every actual size while inflating.
 *
 * @module
 */
import { createWriteStream } from 'node:fs'
import { mkdir, open, statfs, utimes, writeFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { crc32, inflateRaw } from 'node:zlib'
import yauzl from 'yauzl'
import type { Entry, ZipFile } from 'yauzl'
import { BadZipError, InsufficientStorageError } from './errors.js'
import type { ManagementLimits } from './limits.js'
import { RATIO_CHECK_FLOOR_BYTES } from './limits.js'

const inflateRawAsync = promisify(inflateRaw)

/** Entries up to this size are read, inflated and written whole: far fewer round trips than streams. */
const WHOLE_ENTRY_MAX_BYTES = 4 * 1024 * 1024
const METHOD_STORED = 0
const LOCAL_HEADER_SIGNATURE = 0x04034b50
const LOCAL_HEADER_BYTES = 30
const LOCAL_EXTRA_MARGIN_BYTES = 256
const METHOD_DEFLATED = 8

const S_IFMT = 0o170000
const S_IFLNK = 0o120000

export interface ExtractSummary {
  files: number
  directories: number
  bytes: number
}

type ZipLimits = Pick<
  ManagementLimits,
  'maxZipEntries' | 'maxUncompressedBytes' | 'maxCompressionRatio' | 'extractConcurrency'
>

/**
 * Extracts `zipPath` into the empty folder `stagingDir`.
 *
 * @throws BadZipError ERR_MANAGEMENT_BAD_ZIP, InsufficientStorageError
 */
export async function extractZip(
  zipPath: string,
  archiveBytes: number,
  stagingDir: string,
  limits: ZipLimits,
): Promise<ExtractSummary> {
  const zip = await openZip(zipPath)
  try {
    const entries = await readEntries(zip, limits)
    const totalBytes = checkTotals(entries, archiveBytes, limits)
    await requireFreeSpace(dirname(stagingDir), totalBytes)
    const file = await open(zipPath)
    try {
      return await writeEntries({ zip, file }, entries, stagingDir, limits.extractConcurrency)
    } finally {
      await file.close()
    }
  } finally {
    zip.close()
  }
}

async function openZip(zipPath: string): Promise<ZipFile> {
  try {
    return await yauzl.openPromise(zipPath, {
      lazyEntries: true,
      autoClose: false,
      strictFileNames: false,
      validateEntrySizes: true,
    })
  } catch (err) {
    throw new BadZipError(
      `the body is not a readable ZIP (${describe(err)}): send a valid archive`,
      err,
    )
  }
}

async function readEntries(zip: ZipFile, limits: ZipLimits): Promise<Entry[]> {
  if (zip.entryCount > limits.maxZipEntries) {
    throw new BadZipError(
      `the ZIP holds ${zip.entryCount} entries, over the limit of ${limits.maxZipEntries}`,
    )
  }
  const entries: Entry[] = []
  try {
    for await (const entry of zip.eachEntry()) {
      checkEntry(entry)
      entries.push(entry)
    }
  } catch (err) {
    if (err instanceof BadZipError) throw err
    throw new BadZipError(`the ZIP is corrupt or has a bad entry (${describe(err)})`, err)
  }
  checkNames(entries)
  return entries
}

/** The name an entry lands under: `/` separators, no empty or `.` pieces, no trailing `/`. */
function landingName(entry: Entry): string {
  return entry.fileName
    .split('/')
    .filter((piece) => piece !== '' && piece !== '.')
    .join('/')
}

/**
 * Two entries landing on one name (`a\b.txt` and `a/b.txt`), or a file
 * standing where another entry needs a folder (`x` and `x/y.txt`), would
 * make the result depend on the order of writes: refused with 422.
 */
function checkNames(entries: Entry[]): void {
  const files = new Map<string, string>()
  const folders = new Map<string, string>()
  for (const entry of entries) {
    const name = landingName(entry)
    const isFolder = entry.fileName.endsWith('/')
    if (name === '' && !isFolder) {
      throw new BadZipError(`ZIP entry '${entry.fileName}' has no file name: name the file`)
    }
    const earlier = files.get(name) ?? (isFolder ? undefined : folders.get(name))
    if (earlier !== undefined) {
      throw new BadZipError(
        `ZIP entries '${earlier}' and '${entry.fileName}' both land on '${name}': keep one`,
      )
    }
    ;(isFolder ? folders : files).set(name, entry.fileName)
  }
  for (const [name, fileName] of files) {
    const pieces = name.split('/')
    for (let depth = 1; depth < pieces.length; depth++) {
      const blocker = files.get(pieces.slice(0, depth).join('/'))
      if (blocker !== undefined) {
        throw new BadZipError(
          `ZIP entry '${fileName}' needs a folder where entry '${blocker}' is a file: rename one`,
        )
      }
    }
  }
}

function checkEntry(entry: Entry): void {
  const name = entry.fileName
  const pieces = name.split('/')
  if (name.includes('\0')) {
    throw new BadZipError(
      `ZIP entry '${name.replaceAll('\0', '\\0')}' has a NUL byte in its name: rename it`,
    )
  }
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name) || pieces.includes('..')) {
    throw new BadZipError(`ZIP entry '${name}' would land outside the target folder`)
  }
  if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
    throw new BadZipError(`ZIP entry '${name}' is a symbolic link, which uploads may not hold`)
  }
  if (entry.isEncrypted()) {
    throw new BadZipError(`ZIP entry '${name}' is encrypted: send an unencrypted archive`)
  }
  if (!entry.canDecodeFileData()) {
    throw new BadZipError(`ZIP entry '${name}' uses an unsupported compression method: use deflate`)
  }
}

function checkTotals(entries: Entry[], archiveBytes: number, limits: ZipLimits): number {
  const total = entries.reduce((sum, entry) => sum + entry.uncompressedSize, 0)
  if (total > limits.maxUncompressedBytes) {
    throw new BadZipError(
      `the ZIP expands to ${total} bytes, over the limit of ${limits.maxUncompressedBytes}`,
    )
  }
  const ratio = total / Math.max(1, archiveBytes)
  if (total > RATIO_CHECK_FLOOR_BYTES && ratio > limits.maxCompressionRatio) {
    throw new BadZipError(
      `the ZIP expands ${Math.round(ratio)} times its size, over the limit of ${limits.maxCompressionRatio}`,
    )
  }
  return total
}

async function requireFreeSpace(dir: string, neededBytes: number): Promise<void> {
  const stats = await statfs(dir)
  const freeBytes = stats.bavail * stats.bsize
  if (neededBytes > freeBytes) throw new InsufficientStorageError(neededBytes, freeBytes)
}

interface Archive {
  zip: ZipFile
  /** A second handle on the archive for whole-entry reads. */
  file: FileHandle
}

async function writeEntries(
  archive: Archive,
  entries: Entry[],
  stagingDir: string,
  concurrency: number,
): Promise<ExtractSummary> {
  const summary: ExtractSummary = { files: 0, directories: 0, bytes: 0 }
  const madeDirs = new Set<string>()
  const ensureDir = async (dir: string): Promise<void> => {
    if (madeDirs.has(dir)) return
    await mkdir(dir, { recursive: true })
    madeDirs.add(dir)
  }
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const entry = entries[next++]
      const target = join(stagingDir, landingName(entry))
      try {
        if (entry.fileName.endsWith('/')) {
          await ensureDir(target)
          summary.directories++
          continue
        }
        await ensureDir(dirname(target))
        await writeEntry(archive, entry, target)
      } catch (err) {
        throw asZipError(err, entry)
      }
      summary.files++
      summary.bytes += entry.uncompressedSize
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  return summary
}

async function writeEntry(archive: Archive, entry: Entry, target: string): Promise<void> {
  const storedMode = (entry.externalFileAttributes >>> 16) & 0o777
  const mode = storedMode === 0 ? 0o644 : storedMode | 0o200
  const isSmall =
    entry.uncompressedSize <= WHOLE_ENTRY_MAX_BYTES &&
    entry.compressedSize <= WHOLE_ENTRY_MAX_BYTES &&
    (entry.compressionMethod === METHOD_STORED || entry.compressionMethod === METHOD_DEFLATED)
  const crc = isSmall
    ? await writeWholeEntry(archive, entry, target, mode)
    : await streamEntry(archive.zip, entry, target, mode)
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw new BadZipError(
      `ZIP entry '${entry.fileName}' fails its CRC-32 check: the archive is corrupt`,
    )
  }
  const modified = entry.getLastModDate()
  await utimes(target, modified, modified)
}

/** Reads the entry's header and bytes in one read, inflates them in one call, writes them in one go. */
async function writeWholeEntry(
  archive: Archive,
  entry: Entry,
  target: string,
  mode: number,
): Promise<number> {
  const raw = await readEntryData(archive.file, entry)
  const data =
    entry.compressionMethod === METHOD_DEFLATED
      ? // One byte over the declared size is enough to tell a lying header.
        await inflateRawAsync(raw, { maxOutputLength: entry.uncompressedSize + 1 }).catch(
          (err: NodeJS.ErrnoException) => {
            if (err.code !== 'ERR_BUFFER_TOO_LARGE') throw err
            throw sizeMismatch(entry, 'more')
          },
        )
      : raw
  if (data.length !== entry.uncompressedSize) {
    throw new BadZipError(
      `ZIP entry '${entry.fileName}' holds ${data.length} bytes, not the ${entry.uncompressedSize} its header declares`,
    )
  }
  await writeFile(target, data, { mode })
  return crc32(data)
}

/**
 * The entry's stored bytes. The local header's extra field may differ in
 * length from the central one, so the read takes a margin and a second
 * read covers the rare header that is longer still.
 */
async function readEntryData(file: FileHandle, entry: Entry): Promise<Buffer> {
  const headerGuess = LOCAL_HEADER_BYTES + entry.fileNameLength + LOCAL_EXTRA_MARGIN_BYTES
  const buffer = Buffer.allocUnsafe(headerGuess + entry.compressedSize)
  const { bytesRead } = await file.read(buffer, 0, buffer.length, entry.relativeOffsetOfLocalHeader)
  if (bytesRead < LOCAL_HEADER_BYTES || buffer.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
    throw new BadZipError(
      `ZIP entry '${entry.fileName}' has no local header where the directory says`,
    )
  }
  const dataStart = LOCAL_HEADER_BYTES + buffer.readUInt16LE(26) + buffer.readUInt16LE(28)
  const dataEnd = dataStart + entry.compressedSize
  if (dataEnd <= bytesRead) return buffer.subarray(dataStart, dataEnd)
  const data = Buffer.allocUnsafe(entry.compressedSize)
  const second = await file.read(
    data,
    0,
    entry.compressedSize,
    entry.relativeOffsetOfLocalHeader + dataStart,
  )
  if (second.bytesRead !== entry.compressedSize) {
    throw new BadZipError(`ZIP entry '${entry.fileName}' is truncated: the archive is incomplete`)
  }
  return data
}

async function streamEntry(
  zip: ZipFile,
  entry: Entry,
  target: string,
  mode: number,
): Promise<number> {
  let crc = 0
  const checksum = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      crc = crc32(chunk, crc)
      callback(null, chunk)
    },
  })
  const source = await zip.openReadStreamPromise(entry)
  await pipeline(source, checksum, createWriteStream(target, { mode, highWaterMark: 1024 * 1024 }))
  return crc
}

function sizeMismatch(entry: Entry, what: 'more' | 'fewer'): BadZipError {
  return new BadZipError(
    `ZIP entry '${entry.fileName}' holds ${what} bytes than the ${entry.uncompressedSize} its header declares: the archive is corrupt`,
  )
}

/** Disk-full stays itself; anything else while extracting means the archive is at fault. */
function asZipError(err: unknown, entry: Entry): unknown {
  if (err instanceof BadZipError) return err
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') return new InsufficientStorageError(0, 0)
  const message = describe(err)
  // yauzl's validateEntrySizes, when a streamed entry's data and header disagree.
  if (/too many bytes in the stream/.test(message)) return sizeMismatch(entry, 'more')
  if (/not enough bytes in the stream/.test(message)) return sizeMismatch(entry, 'fewer')
  return new BadZipError(`ZIP entry '${entry.fileName}' cannot be extracted (${message})`, err)
}

/** The error's message, without the host paths a file system error names. */
function describe(err: unknown): string {
  const fsError = err as NodeJS.ErrnoException
  if (typeof fsError.code === 'string' && typeof fsError.syscall === 'string') {
    return `${fsError.code} on ${fsError.syscall}`
  }
  return err instanceof Error ? err.message : String(err)
}
