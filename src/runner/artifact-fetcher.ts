/**
 * Fetches a task's `artifact` blocks whose source is a local file or
 * directory, as go-getter's file getter does for a Nomad client: a source is
 * relative to the job file's folder; an archive (`.zip`, `.tar`, `.tar.gz`,
 * `.tgz`) is extracted into `destination`, unless `options { archive =
 * false }`; any other file is copied into `destination` (mode `any`) or to
 * `destination` itself (mode `file`); a directory's contents are copied.
 * The destination may not leave the task dir, as in Nomad.
 *
 * @module
 */
import { execFile } from 'node:child_process'
import { copyFile, cp, mkdir, stat } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import yauzl from 'yauzl'

import { artifactError } from './errors.js'
import type { ArtifactSpec } from './job-spec.js'

type ArchiveKind = 'zip' | 'tar' | 'tar.gz'

const EXTENSIONS: [string, ArchiveKind][] = [
  ['.tar.gz', 'tar.gz'],
  ['.tgz', 'tar.gz'],
  ['.tar', 'tar'],
  ['.zip', 'zip'],
]

const execFileAsync = promisify(execFile)

/**
 * Fetches one artifact into the task dir `taskRoot`. `source` and
 * `destination` are already interpolated.
 *
 * @throws RunnerError `ERR_RUNNER_ARTIFACT` naming the source and what to change.
 */
export async function fetchArtifact(
  artifact: ArtifactSpec,
  jobDir: string,
  taskRoot: string,
): Promise<string> {
  const source = resolveSource(artifact.source, jobDir)
  const destination = resolve(taskRoot, artifact.destination)
  if (relative(taskRoot, destination).startsWith('..')) {
    throw artifactError(
      `artifact destination "${artifact.destination}" escapes the task dir; use a path under it`,
    )
  }
  const info = await stat(source).catch((err: unknown) => {
    throw artifactError(`artifact source "${artifact.source}" not found at ${source}`, err)
  })

  if (info.isDirectory()) {
    await cp(source, destination, { recursive: true, dereference: false, force: true })
    return destination
  }
  const kind = archiveKind(source, artifact.options.archive)
  if (kind !== null && artifact.mode !== 'file') {
    await extractArchive(kind, source, destination, artifact.source)
    return destination
  }
  const target = artifact.mode === 'file' ? destination : join(destination, basename(source))
  await mkdir(dirname(target), { recursive: true })
  await copyFile(source, target)
  return target
}

function resolveSource(source: string, jobDir: string): string {
  const withoutScheme = source.startsWith('file://') ? source.slice('file://'.length) : source
  if (/^[a-z][a-z0-9+.-]*::|^[a-z][a-z0-9+.-]*:\/\//i.test(withoutScheme)) {
    throw artifactError(
      `artifact source "${source}" is not a local path; the local runner fetches local files and directories only`,
    )
  }
  return isAbsolute(withoutScheme) ? withoutScheme : resolve(jobDir, withoutScheme)
}

/** The archive kind from the `archive` option or, as go-getter does, the file's extension. */
function archiveKind(path: string, option: string | undefined): ArchiveKind | null {
  if (option === 'false') return null
  if (option !== undefined && option !== 'true') {
    const forced = EXTENSIONS.find(([ext]) => ext === `.${option}`)
    if (forced === undefined) {
      throw artifactError(
        `artifact option archive = "${option}" is not one of zip, tar, tar.gz, tgz, false`,
      )
    }
    return forced[1]
  }
  const lower = path.toLowerCase()
  return EXTENSIONS.find(([ext]) => lower.endsWith(ext))?.[1] ?? null
}

async function extractArchive(
  kind: ArchiveKind,
  file: string,
  destination: string,
  source: string,
) {
  await mkdir(destination, { recursive: true })
  try {
    if (kind === 'zip') await extractZip(file, destination)
    else await extractTar(file, destination, kind === 'tar.gz')
  } catch (err) {
    throw artifactError(
      `artifact "${source}" could not be extracted as ${kind}; check the archive`,
      err,
    )
  }
}

/** Extracts with yauzl; it refuses absolute and `..` entry names itself. */
async function extractZip(file: string, destination: string): Promise<void> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, strictFileNames: false })
  try {
    for await (const entry of readEntries(zip)) {
      const target = resolve(destination, entry.fileName)
      if (relative(destination, target).startsWith('..'))
        throw new RangeError(`entry ${entry.fileName} escapes`)
      if (entry.fileName.endsWith('/')) {
        await mkdir(target, { recursive: true })
        continue
      }
      await mkdir(dirname(target), { recursive: true })
      const mode = (entry.externalFileAttributes >>> 16) & 0o777
      await pipeline(
        await zip.openReadStreamPromise(entry),
        createWriteStream(target, { mode: mode || 0o644 }),
      )
    }
  } finally {
    zip.close()
  }
}

async function* readEntries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  while (true) {
    const entry = await new Promise<yauzl.Entry | null>((resolveEntry, reject) => {
      const onEntry = (e: yauzl.Entry) => done(e)
      const onEnd = () => done(null)
      const onError = (err: Error) => {
        zip.off('entry', onEntry).off('end', onEnd)
        reject(err)
      }
      function done(e: yauzl.Entry | null) {
        zip.off('entry', onEntry).off('end', onEnd).off('error', onError)
        resolveEntry(e)
      }
      zip.once('entry', onEntry).once('end', onEnd).once('error', onError)
      zip.readEntry()
    })
    if (entry === null) return
    yield entry
  }
}

/**
 * Extracts with the system's GNU tar, which strips leading `/` and refuses
 * member names with `..`, so nothing lands outside `destination`.
 */
async function extractTar(file: string, destination: string, isGzip: boolean): Promise<void> {
  const args = ['-x', ...(isGzip ? ['-z'] : []), '--no-same-owner', '-f', file, '-C', destination]
  await execFileAsync('tar', args)
}
