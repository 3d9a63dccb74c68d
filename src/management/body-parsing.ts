/**
 * How request bodies reach the routes. Fastify answers 415 to a
 * Content-Type it cannot read as type/subtype (the IIS driver's page spells
 * `application-zip`) before any parser runs, so every Content-Type is
 * recorded on arrival (read back through `sentContentType`) and one of that
 * kind is taken out of the headers. Only the fs routes read bodies, as
 * streams (see fs-routes.ts); the other routes take no body: JSON is still
 * checked (400 malformed, 413 over the limit), anything else is read up to
 * the limit and ignored. No Content-Type is ever refused.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'

const sentContentTypes = new WeakMap<IncomingMessage, string>()

/** Installs the hook and the catch-all parser on `app` and every scope under it. */
export function registerBodyHandling(app: FastifyInstance): void {
  app.addHook('onRequest', async function takeContentTypeAside(request) {
    const contentType = request.raw.headers['content-type']
    if (contentType === undefined) return
    sentContentTypes.set(request.raw, contentType)
    if (!MEDIA_TYPE.test(contentType)) delete request.raw.headers['content-type']
  })
  app.addContentTypeParser('*', { parseAs: 'buffer' }, function ignoreBody(_request, _body, done) {
    done(null, undefined)
  })
}

/** `type/subtype` with optional parameters: what Fastify accepts as a Content-Type. */
const MEDIA_TYPE = /^\s*[!#$%&'*+.^_`|~\w-]+\/[!#$%&'*+.^_`|~\w-]+\s*(;.*)?$/

/** The Content-Type the client sent, as it sent it; undefined when none. */
export function sentContentType(request: FastifyRequest): string | undefined {
  return sentContentTypes.get(request.raw)
}
