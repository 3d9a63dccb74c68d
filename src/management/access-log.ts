/**
 * The API's per-request log lines, all from here: plain fields (method,
 * path, status, time) that any pino-shaped logger can write, the plugin's
 * hclog one included. Levels: 5xx error, 4xx and broken streams info,
 * everything else debug.
 *
 * @module
 */
import { LogController } from 'fastify'
import type { FastifyReply, FastifyRequest } from 'fastify'

export class AccessLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.trace({ method: request.method, path: pathOf(request) }, 'request received')
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const fields = {
      method: request.method,
      path: pathOf(request),
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime),
    }
    if (error) reply.log.error({ ...fields, err: error }, 'request failed')
    else if (reply.statusCode >= 500) reply.log.error(fields, 'request answered')
    else if (reply.statusCode >= 400) reply.log.info(fields, 'request answered')
    else reply.log.debug(fields, 'request answered')
  }

  override streamError(error: Error, request: FastifyRequest): void {
    request.log.info({ path: pathOf(request), err: error }, 'response stream broke off')
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ method: request.method, path: pathOf(request) }, 'no such route')
  }
}

/** The path without its query: queries may carry what does not belong in logs. */
function pathOf(request: FastifyRequest): string {
  return (request.raw.url ?? '').split('?')[0]
}
