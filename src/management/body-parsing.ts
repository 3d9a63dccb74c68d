/**
 * How request bodies reach the routes. Fastify answers 415 to a
 * Content-Type it cannot read as type/subtype (the IIS driver's page spells
 * `application-zip`) before any parser runs, so the header is taken aside
 * on arrival and read back through `sentContentType`. Only the fs routes
 * read bodies, as streams (see fs-routes.ts); the other routes drain and
 * ignore whatever is sent. No Content-Type is ever refused.
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
    delete request.raw.headers['content-type']
  })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', function ignoreBody(_request, payload, done) {
    payload.resume()
    payload.once('end', () => done(null, undefined))
    payload.once('error', (err) => done(err, undefined))
  })
}

/** The Content-Type the client sent, as it sent it; undefined when none. */
export function sentContentType(request: FastifyRequest): string | undefined {
  return sentContentTypes.get(request.raw)
}
