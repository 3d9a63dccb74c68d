/**
 * `GET screenshot` (a PNG of the site's page) and `GET procdump` (a core
 * dump of a pool's worker), with the download names of the contract.
 *
 * @module
 */
import { createReadStream } from 'node:fs'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TaskHandleView } from '../driver/types.js'
import type { PoolStatus } from './api-context.js'
import { authorizeTask } from './api-context.js'
import type { ApiContext } from './api-context.js'
import {
  BadRequestError,
  ConflictError,
  ManagementError,
  NoWorkerError,
  PoolNotFoundError,
  SiteUnreachableError,
  TimeoutError,
} from './errors.js'
import { contentDisposition } from './file-download.js'
import { callDriver } from './lifecycle-routes.js'

export function registerToolRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get(
    '/api/v1/allocs/:allocId/:taskName/screenshot',
    async function getScreenshot(request, reply) {
      const task = await authorizeTask(ctx, request, 'Screenshots')
      const url = pageUrl(task, (request.query as Record<string, unknown>).path)
      const png = await captureOrExplain(ctx, url)
      return reply
        .type('image/png')
        .header('content-disposition', contentDisposition(downloadName('screenshot', task, 'png')))
        .send(png)
    },
  )

  app.get('/api/v1/allocs/:allocId/:taskName/procdump', async function getProcdump(request, reply) {
    const task = await authorizeTask(ctx, request, 'ProcDump')
    await ctx.procdump.checkReady()
    const pid = await pickWorkerPid(ctx, task, request)
    const dump = await ctx.procdump.dump(pid)
    request.log.info(
      { taskId: task.taskId, workerPid: pid, sizeBytes: dump.sizeBytes },
      'process dump taken',
    )
    reply.raw.on('close', () => void dump.remove())
    return reply
      .type('application/octet-stream')
      .header('content-length', String(dump.sizeBytes))
      .header('content-disposition', contentDisposition(downloadName('procdump', task, 'dmp')))
      .send(createReadStream(dump.path))
  })
}

/** `<kind>_<allocId>_<task>_<yyyy-MM-dd-HH-mm-ss>.<ext>`, UTC. */
export function downloadName(
  kind: string,
  task: TaskHandleView,
  ext: string,
  at = new Date(),
): string {
  const stamp = at.toISOString().slice(0, 19).replace('T', '-').replaceAll(':', '-')
  return `${kind}_${task.allocId}_${task.taskName}_${stamp}.${ext}`
}

function pageUrl(task: TaskHandleView, pathQuery: unknown): string {
  const path = pathQuery === undefined ? '/' : pathQuery
  if (
    typeof path !== 'string' ||
    !path.startsWith('/') ||
    path.startsWith('//') ||
    path.includes('\\')
  ) {
    throw new BadRequestError(
      `query path must be an absolute URL path such as /index.html, got '${String(path)}'`,
    )
  }
  if (task.siteUrl === null) {
    throw new ConflictError(
      'the task has no http binding this machine can reach: add one to photograph it',
    )
  }
  return new URL(path, task.siteUrl).toString()
}

async function captureOrExplain(ctx: ApiContext, url: string): Promise<Buffer> {
  try {
    return await ctx.screenshots.capture(url)
  } catch (err) {
    if (err instanceof ManagementError) throw err
    if ((err as Error).name === 'TimeoutError') {
      throw new TimeoutError(`the screenshot of ${url}`, ctx.limits.screenshotTimeoutMs)
    }
    throw new SiteUnreachableError(url, err)
  }
}

async function pickWorkerPid(
  ctx: ApiContext,
  task: TaskHandleView,
  request: FastifyRequest,
): Promise<number> {
  const query = request.query as Record<string, unknown>
  const wanted = query.appPoolName ?? 'default'
  if (typeof wanted !== 'string' || wanted === '') {
    throw new BadRequestError('query appPoolName must be a pool name such as default')
  }
  const pools: PoolStatus[] = await callDriver('read the pool status', () =>
    ctx.driver.poolStatus(task.taskId),
  )
  const pool = pools.find((item) => item.key === wanted || item.name === wanted)
  if (pool === undefined)
    throw new PoolNotFoundError(
      wanted,
      pools.map((item) => item.key),
    )
  const worker = pool.workers[0]
  if (worker === undefined) throw new NoWorkerError(pool.key)
  return worker.pid
}
