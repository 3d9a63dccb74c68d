/**
 * PUT and PATCH on fs: a ZIP extracted into a folder, or any other body
 * written as one file. The body goes to a work folder next to the target,
 * is checked and staged there, and only then swapped in (see tree-swap.ts),
 * so a failure, a 413 or a client that disconnects leaves the target as it
 * was, clean=true included. PUT stops the task's pools around the swap and
 * then restores them; PATCH leaves them running. Uploads to one task run
 * one at a time.
 *
 * @module
 */
import { lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import type { TaskHandleView } from '../driver/types.js'
import type { ApiContext } from './api-context.js'
import {
  BadPathError,
  ConflictError,
  PayloadTooLargeError,
  PreconditionFailedError,
} from './errors.js'
import { etagOf, matchesAny } from './file-download.js'
import { callDriver } from './lifecycle-routes.js'
import { startPoolsByKey } from './pool-control.js'
import type { TaskPath } from './task-path.js'
import { swapIn } from './tree-swap.js'
import { isZipType, receiveBody } from './upload-body.js'
import { extractZip } from './zip-extract.js'

/** Prefix of the per-upload work folder (body, staging, backup). */
export const WORK_DIR_PREFIX = '.nomad-iis-upload-'

export interface UploadRequest {
  task: TaskHandleView
  path: TaskPath
  /** The task directory's real path. */
  root: string
  body: Readable
  contentType: string | undefined
  contentLength: number | undefined
  isClean: boolean
  ifMatch: string | undefined
  shouldStopPools: boolean
}

export interface UploadSummary {
  files: number
  bytes: number
  directories: number
  path: string
}

export async function handleUpload(ctx: ApiContext, upload: UploadRequest): Promise<UploadSummary> {
  const isZip = isZipType(upload.contentType)
  checkRequest(ctx, upload, isZip)
  return ctx.uploads.run(upload.task.taskId, async () => {
    const targetDir = isZip ? upload.path.absolute : dirname(upload.path.absolute)
    await checkTarget(upload, isZip)
    const workDir = await mkdtemp(
      join(await pickWorkParent(upload.root, targetDir), WORK_DIR_PREFIX),
    )
    let summary: UploadSummary
    try {
      summary = await stageAndSwap(ctx, upload, isZip, targetDir, workDir)
    } catch (err) {
      await rm(workDir, { recursive: true, force: true })
      throw err
    }
    // What the upload displaced is deleted after the reply, but before the task's next upload.
    void ctx.uploads.run(upload.task.taskId, () => removeQuietly(ctx, workDir))
    return summary
  })
}

function checkRequest(ctx: ApiContext, upload: UploadRequest, isZip: boolean): void {
  if (upload.contentLength !== undefined && upload.contentLength > ctx.limits.maxBodyBytes) {
    throw new PayloadTooLargeError(ctx.limits.maxBodyBytes)
  }
  if (!isZip && upload.path.relative === '') {
    throw new BadPathError('a file upload needs a file path: give the file name after fs/')
  }
  const targetIsRoot = isZip ? upload.path.relative === '' : upload.path.pieces.length === 1
  if (upload.isClean && targetIsRoot) {
    throw new BadPathError(
      'the task directory itself cannot be emptied: upload into a folder below it',
    )
  }
}

async function checkTarget(upload: UploadRequest, isZip: boolean): Promise<void> {
  const stats = await lstat(upload.path.absolute).catch(() => null)
  if (isZip && stats !== null && !stats.isDirectory()) {
    throw new ConflictError(`'${upload.path.relative}' is a file: a ZIP extracts into a folder`)
  }
  if (!isZip && stats?.isDirectory() === true) {
    throw new ConflictError(
      `'${upload.path.relative}' is a folder: send a ZIP (Content-Type: application/zip) to extract into it`,
    )
  }
  if (!isZip) await checkIfMatch(upload)
}

async function checkIfMatch(upload: UploadRequest): Promise<void> {
  if (upload.ifMatch === undefined) return
  const stats = await lstat(upload.path.absolute).catch(() => null)
  if (stats === null || !matchesAny(upload.ifMatch, etagOf(stats))) {
    throw new PreconditionFailedError(
      `'${upload.path.relative}' changed since you read it (If-Match): download it again`,
    )
  }
}

async function stageAndSwap(
  ctx: ApiContext,
  upload: UploadRequest,
  isZip: boolean,
  targetDir: string,
  workDir: string,
): Promise<UploadSummary> {
  const bodyPath = join(workDir, 'body')
  const stagingDir = join(workDir, 'staging')
  const backupDir = join(workDir, 'backup')
  const bodyBytes = await receiveBody(upload.body, bodyPath, ctx.limits.maxBodyBytes)
  await mkdir(stagingDir)
  await mkdir(backupDir)

  let summary = { files: 1, directories: 0, bytes: bodyBytes }
  if (isZip) summary = await extractZip(bodyPath, bodyBytes, stagingDir, ctx.limits)
  else await rename(bodyPath, join(stagingDir, basename(upload.path.absolute)))

  const swap = async (): Promise<void> => {
    if (!isZip) await checkIfMatch(upload)
    const keepNames = [basename(workDir)]
    await swapIn({ stagingDir, targetDir, backupDir, isClean: upload.isClean, keepNames })
  }
  if (upload.shouldStopPools) await withPoolsStopped(ctx, upload.task, swap)
  else await swap()
  return { ...summary, path: upload.path.relative }
}

/**
 * Stops the task's pools (the driver replies once workers have exited),
 * runs `work`, then starts again the pools that were started or starting
 * before, and only those: a pool that was stopped stays stopped.
 */
async function withPoolsStopped(
  ctx: ApiContext,
  task: TaskHandleView,
  work: () => Promise<void>,
): Promise<void> {
  const before = await callDriver('read the pool status', () => ctx.driver.poolStatus(task.taskId))
  const running = before
    .filter((pool) => pool.state === 'Started' || pool.state === 'Starting')
    .map((pool) => pool.key)
  await callDriver('stop the pools for the upload', () => ctx.driver.stopPools(task.taskId))
  try {
    await work()
  } finally {
    if (running.length === before.length) {
      await callDriver('restart the pools after the upload', () =>
        ctx.driver.startPools(task.taskId),
      )
    } else if (running.length > 0) {
      await callDriver(`restart the pools ${running.join(', ')} after the upload`, () =>
        startPoolsByKey(ctx, task, running),
      )
    }
  }
}

async function removeQuietly(ctx: ApiContext, dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true })
  } catch (err) {
    ctx.log.warn({ err, dir }, 'upload work folder left behind')
  }
}

/** A folder on the target's file system that is neither the target nor inside it. */
async function pickWorkParent(root: string, targetDir: string): Promise<string> {
  if (targetDir === root) return root
  let current = targetDir
  while (current !== root) {
    const stats = await lstat(current).catch(() => null)
    if (stats?.isDirectory() === true && current !== targetDir) return current
    if (stats !== null && current === targetDir) return dirname(current)
    current = dirname(current)
  }
  return root
}
