/**
 * The fs endpoints: GET/HEAD (a file, a folder as a ZIP, or a folder
 * listing with `Accept: application/json`), PUT/PATCH (uploads) and DELETE.
 * Paths come from the raw URL, so `local%2Findex.html` and `local/index.html`
 * name the same file, and are checked in task-path.ts for every verb.
 *
 * @module
 */
import { realpath, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Readable } from 'node:stream'
import { authorizeTask } from './api-context.js'
import type { ApiContext } from './api-context.js'
import { sentContentType } from './body-parsing.js'
import { BadRequestError, FileNotFoundError } from './errors.js'
import { contentDisposition, sendFile } from './file-download.js'
import { listFolder, wantsJson } from './folder-listing.js'
import { deletePath } from './fs-delete.js'
import { zipFolder } from './folder-zip.js'
import { parseFsPath, resolveTaskPath } from './task-path.js'
import type { TaskPath } from './task-path.js'
import { handleUpload } from './upload-service.js'

/** `/api/v1/allocs/{allocId}/{taskName}/fs` is 6 segments after the leading slash. */
const FS_PREFIX_SEGMENTS = 7

export function registerFsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const urls = ['/api/v1/allocs/:allocId/:taskName/fs', '/api/v1/allocs/:allocId/:taskName/fs/*']
  app.register(async function fsScope(scope) {
    // Bodies stay streams here: uploads go to disk, whatever their type
    // (body-parsing.ts has taken the Content-Type header aside).
    scope.removeAllContentTypeParsers()
    scope.addContentTypeParser('*', function passStream(_request, payload, done) {
      done(null, payload)
    })
    for (const url of urls) {
      scope.route({
        method: ['GET', 'HEAD'],
        url,
        handler: (req, reply) => download(ctx, req, reply),
      })
      scope.route({ method: ['PUT', 'PATCH'], url, handler: (req) => upload(ctx, req) })
      scope.delete(url, (req) => remove(ctx, req))
    }
  })
}

async function download(
  ctx: ApiContext,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { path, root } = await authorizePath(ctx, request)
  const stats = await stat(path.absolute).catch(() => null)
  if (stats === null) throw new FileNotFoundError(path.relative)
  if (stats.isFile()) return sendFile(request, reply, path.absolute, stats)
  if (wantsJson(request.headers.accept))
    return reply.send(await listFolder(path.relative, path.absolute, root))

  const task = request.params as { taskName: string }
  const name = path.relative === '' ? task.taskName : basename(path.absolute)
  reply.type('application/zip').header('content-disposition', contentDisposition(`${name}.zip`))
  if (request.method === 'HEAD') return reply.send()
  const stream = zipFolder(path.absolute, {
    rootRealPath: root,
    compressionLevel: ctx.limits.downloadCompressionLevel,
    onSkip: (entry, reason) =>
      request.log.info({ entry, reason }, 'entry left out of the folder zip'),
  })
  return reply.send(stream)
}

async function upload(ctx: ApiContext, request: FastifyRequest): Promise<unknown> {
  const { task, path, root } = await authorizePath(ctx, request)
  const query = request.query as Record<string, unknown>
  const body = (request.body ?? request.raw) as Readable
  return handleUpload(ctx, {
    task,
    path,
    root,
    body,
    contentType: sentContentType(request),
    contentLength: parseLength(request.headers['content-length']),
    isClean: parseClean(query.clean),
    ifMatch: request.headers['if-match'],
    shouldStopPools: request.method === 'PUT',
  })
}

async function remove(ctx: ApiContext, request: FastifyRequest): Promise<unknown> {
  const { path } = await authorizePath(ctx, request)
  return deletePath(path, request.headers['if-match'])
}

async function authorizePath(
  ctx: ApiContext,
  request: FastifyRequest,
): Promise<{ task: Awaited<ReturnType<typeof authorizeTask>>; path: TaskPath; root: string }> {
  const task = await authorizeTask(ctx, request, 'FilesystemAccess')
  const rawPath = (request.raw.url ?? '')
    .split('?')[0]
    .split('/')
    .slice(FS_PREFIX_SEGMENTS)
    .join('/')
  const path = await resolveTaskPath(task.taskDir, parseFsPath(rawPath))
  const root = await realpath(task.taskDir)
  return { task, path, root }
}

function parseClean(value: unknown): boolean {
  if (value === undefined) return false
  if (value === 'true' || value === '1' || value === '') return true
  if (value === 'false' || value === '0') return false
  throw new BadRequestError(`query clean must be true or false, got '${String(value)}'`)
}

function parseLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const length = Number(value)
  return Number.isSafeInteger(length) ? length : undefined
}
