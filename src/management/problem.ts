/**
 * RFC 9457 problem details: the one shape every 4xx/5xx of the API has,
 * Fastify's own errors (unknown route, bad JSON, body too large) included.
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { ManagementError } from './errors.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  code: string
}

/** Builds the problem body for an error, hiding internals of unexpected ones. */
export function toProblem(err: unknown): { body: ProblemBody; headers: Record<string, string> } {
  if (err instanceof ManagementError) {
    const detail = hideWorkPaths(err.message)
    return { body: makeBody(err.statusCode, err.code, detail), headers: err.headers }
  }
  const fastifyError = err as Partial<FastifyError>
  const status = fastifyError.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { body: fromFastify(status, fastifyError), headers: {} }
  }
  return {
    body: makeBody(500, 'ERR_MANAGEMENT_INTERNAL', 'internal error: see the plugin log'),
    headers: {},
  }
}

/** Sends an error as problem+json, unless the response has already started. */
export function sendProblem(reply: FastifyReply, err: unknown): FastifyReply {
  const { body, headers } = toProblem(err)
  if (reply.raw.headersSent) {
    reply.raw.destroy(err instanceof Error ? err : undefined)
    return reply
  }
  return reply.code(body.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(body)
}

/** Fastify error handler: logs 5xx at error, 4xx at info, answers problem+json. */
export function handleError(
  this: unknown,
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { body } = toProblem(err)
  if (body.status >= 500) request.log.error({ err }, 'request failed')
  else request.log.info({ code: body.code, status: body.status }, 'request refused')
  return sendProblem(reply, err)
}

function fromFastify(status: number, err: Partial<FastifyError>): ProblemBody {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return makeBody(
        413,
        'ERR_MANAGEMENT_PAYLOAD_TOO_LARGE',
        'the request body is over the limit: send a smaller body',
      )
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return makeBody(
        400,
        'ERR_MANAGEMENT_BAD_REQUEST',
        'the JSON body is empty: send a JSON value',
      )
    default:
      break
  }
  if (err instanceof SyntaxError || /JSON/i.test(err.message ?? '')) {
    return makeBody(400, 'ERR_MANAGEMENT_BAD_REQUEST', 'the body is not valid JSON: fix its syntax')
  }
  const detail = (err.message ?? 'bad request').replace(/^\w/, (c) => c.toLowerCase())
  return makeBody(status, 'ERR_MANAGEMENT_BAD_REQUEST', detail)
}

/** An absolute path into an upload's work folder (see upload-service.ts), up to its staging part. */
const WORK_PATH = /\/[^\s'"]*\/\.nomad-iis-upload-[^\s'"/]*(?:\/(?:staging|backup|body)\b\/?)?/g

/** No detail shows where on the host an upload is staged: such paths become relative. */
function hideWorkPaths(detail: string): string {
  return detail.replace(WORK_PATH, '')
}

function makeBody(status: number, code: string, detail: string): ProblemBody {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail, code }
}
