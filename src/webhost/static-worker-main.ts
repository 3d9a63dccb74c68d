/**
 * The static worker process (the w3wp role for static applications). The
 * site host hands it accepted connections together with the bytes it read
 * to route them; from then on the connection is the worker's, so no proxy
 * hop is paid per request. A request on such a connection that belongs to
 * another pool is forwarded to the site host's internal socket, which hands
 * it to that pool like a new connection.
 *
 * Configuration comes as JSON in NOMAD_IIS_WORKER_CONFIG (removed from the
 * environment before any application code could see it). For benchmarks,
 * NOMAD_IIS_DIRECT_PORT makes it also listen on 127.0.0.1 at that port.
 *
 * @module
 */
import { createServer } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { runFastPath } from './fast-path.js'
import { answerClientError } from './raw-response.js'
import { isHostAccepted, stripPort, targetPath } from './request-head.js'
import { Router } from './router.js'
import { sendStatus, StaticHandler } from './static-handler.js'
import { hasHiddenSegment, normalizeUrlPath } from './url-path.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { CachedFile } from './file-cache.js'
import type { Route } from './router.js'
import { CLIENT_ADDRESS_HEADER } from './site-host-messages.js'
import { forwardToSiteHost } from './internal-hop.js'
import type { HostToWorker, WorkerConfig, WorkerToHost } from './site-host-messages.js'

const config = JSON.parse(process.env.NOMAD_IIS_WORKER_CONFIG ?? 'null') as WorkerConfig
delete process.env.NOMAD_IIS_WORKER_CONFIG
const router = new Router(config.site)
const handler = new StaticHandler()
/** Which listener each handed-over socket came in on; direct sockets have none. */
const listenerOf = new WeakMap<Socket, string>()
/** Every open connection; one with no response in progress is idle. */
const connections = new Set<Socket>()
/** Hot URLs (as sent) to their file cache key: repeated requests skip routing. */
const hotUrls = new Map<string, string>()
const MAX_HOT_URLS = 10_000
/** Bumped per request; the idle watch compares it rather than reading the clock per request. */
let requestCount = 0
let isDraining = false
/** NOMAD_IIS_FAST_PATH=0 sends every connection through Node's HTTP server (for comparison). */
const isFastPathEnabled = process.env.NOMAD_IIS_FAST_PATH !== '0'

const server = createServer({ keepAliveTimeout: 5000 }, onRequest)
server.on('connection', trackConnection)
server.on('clientError', answerClientError)

process.on('message', (message: HostToWorker, socket?: Socket) => {
  if (message.type === 'conn' && socket !== undefined) {
    acceptHandedSocket(socket, message.listener, message.head)
  } else if (message.type === 'drain') {
    startDraining(false)
  } else if (message.type === 'stop') {
    startDraining(true)
  }
})
process.on('disconnect', () => process.exit(0))

const directPort = Number(process.env.NOMAD_IIS_DIRECT_PORT ?? '0')
if (directPort > 0) listenDirectly(directPort)
else announceReady()
startIdleWatch()

/** Benchmarks only: the same server on a loopback port of its own, skipped when taken (web garden). */
function listenDirectly(port: number): void {
  const onError = (err: Error): void => {
    process.stderr.write(`direct port ${port} not used: ${err.message}\n`)
    announceReady()
  }
  const direct = createNetServer({ noDelay: true }, (socket) =>
    acceptSocket(socket, undefined, null),
  )
  direct.once('error', onError)
  direct.listen(port, '127.0.0.1', () => {
    direct.removeListener('error', onError)
    announceReady()
  })
}

function announceReady(): void {
  send({ type: 'ready' })
}

function acceptHandedSocket(socket: Socket, listener: string, head: string): void {
  listenerOf.set(socket, listener)
  acceptSocket(socket, listener, head.length > 0 ? Buffer.from(head, 'base64') : null)
}

/** A new connection, with the bytes already read from it: fast path first, else the HTTP server. */
function acceptSocket(socket: Socket, listener: string | undefined, head: Buffer | null): void {
  requestCount++
  trackConnection(socket)
  if (!isFastPathEnabled) {
    giveToHttpServer(socket, head)
    return
  }
  socket.on('error', () => socket.destroy())
  runFastPath(socket, head, {
    entryFor: cachedEntryFor,
    acceptsHost: (host) =>
      listener === undefined ||
      acceptsAnyHost(listener) ||
      isHostAccepted(host, config.listeners[listener] ?? [null]),
    isDraining: () => isDraining,
    onRequest: () => requestCount++,
    handOff: giveToHttpServer,
  })
}

/** Puts back what was read, then lets Node's HTTP parser take the socket. */
function giveToHttpServer(socket: Socket, unread: Buffer | null): void {
  if (unread !== null && unread.length > 0) socket.unshift(unread)
  server.emit('connection', socket)
  // The fast path paused the socket; the HTTP server's data listener does not undo that.
  socket.resume()
}

const tracked = new WeakSet<Socket>()

function trackConnection(socket: Socket): void {
  if (tracked.has(socket)) return
  tracked.add(socket)
  connections.add(socket)
  socket.once('close', () => {
    connections.delete(socket)
    requestCount++
    if (isDraining && connections.size === 0) exitDrained()
  })
}

/** The cached file a target names, for the fast path; resolves and caches it on first sight. */
function cachedEntryFor(target: string): CachedFile | undefined {
  let key = hotUrls.get(target)
  if (key === undefined) {
    const route = routeOwnFile(target)
    const prepared = route === null ? null : handler.prepare(route)
    if (prepared === null) return undefined
    if (hotUrls.size >= MAX_HOT_URLS) hotUrls.clear()
    hotUrls.set(target, prepared)
    key = prepared
  }
  return handler.entry(key)
}

/** The route of a target when it is a path this pool serves and request filtering allows. */
function routeOwnFile(target: string): Route | null {
  const normalized = normalizeUrlPath(targetPath(target))
  if (!normalized.ok || hasHiddenSegment(normalized.path)) return null
  const route = router.route(normalized.path)
  return route !== null && route.pool === config.pool ? route : null
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  requestCount++
  if (isDraining) res.shouldKeepAlive = false
  const target = req.url ?? '/'
  const listener = listenerOf.get(req.socket)
  if (listener !== undefined && !acceptsAnyHost(listener) && !isHostAllowed(req, listener)) {
    sendInvalidHostname(res)
    return
  }
  const hotKey = hotUrls.get(target)
  if (hotKey !== undefined && handler.serveCached(req, res, hotKey)) return
  serveSlowly(req, res, target)
}

/** Routing, request filtering and file resolution for a URL not (or no longer) hot. */
function serveSlowly(req: IncomingMessage, res: ServerResponse, target: string): void {
  const rawPath = targetPath(target)
  const queryIndex = target.indexOf('?')
  const query = queryIndex === -1 ? '' : target.slice(queryIndex)
  const normalized = normalizeUrlPath(rawPath)
  if (!normalized.ok) {
    sendStatus(res, 400)
    return
  }
  if (hasHiddenSegment(normalized.path)) {
    sendStatus(res, 404)
    return
  }
  const route = router.route(normalized.path)
  if (route === null) {
    sendStatus(res, 404)
    return
  }
  // A hosted program's request on a kept-alive connection goes back to the site host, which proxies it.
  if (route.pool !== config.pool || route.application.program !== null) {
    forwardAgain(req, res)
    return
  }
  const cacheKey = handler.serve(req, res, route, rawPath, query)
  if (cacheKey === null) return
  if (hotUrls.size >= MAX_HOT_URLS) hotUrls.clear()
  hotUrls.set(target, cacheKey)
}

function acceptsAnyHost(listener: string): boolean {
  return listener === 'internal' || (config.listeners[listener] ?? [null]).includes(null)
}

function isHostAllowed(req: IncomingMessage, listener: string): boolean {
  const host = req.headers.host === undefined ? null : stripPort(req.headers.host.toLowerCase())
  return isHostAccepted(host, config.listeners[listener] ?? [null])
}

/** HTTP.sys answers a Host no binding accepts with this 400. */
function sendInvalidHostname(res: ServerResponse): void {
  const body = 'Bad Request - Invalid Hostname\n'
  res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length })
  res.end(body)
}

/**
 * Another pool's request on a kept-alive connection: the site host routes it
 * afresh. The client's address is the socket's on a client's connection
 * (any copy the client sent is dropped); on one from the internal socket,
 * which only the site host and workers reach, it is the one that came along.
 */
function forwardAgain(req: IncomingMessage, res: ServerResponse): void {
  const isInternal = listenerOf.get(req.socket) === 'internal'
  const carried = req.headers[CLIENT_ADDRESS_HEADER]
  const clientAddress = isInternal
    ? typeof carried === 'string'
      ? carried
      : undefined
    : req.socket.remoteAddress
  forwardToSiteHost(req, res, config.internalSocketPath, clientAddress)
}

/**
 * Stop taking new requests on kept-alive connections; exit once the last one
 * closed. A recycle leaves idle connections to their keep-alive timeout,
 * which clients know from the Keep-Alive header, so none of them races a
 * close; a stop closes them at once.
 */
function startDraining(isStop: boolean): void {
  isDraining = true
  if (isStop) {
    // Node keeps the response in progress on the socket; none means idle.
    for (const socket of connections) {
      if ((socket as { _httpMessage?: unknown })._httpMessage == null) socket.destroy()
    }
  }
  if (connections.size === 0) exitDrained()
}

function exitDrained(): void {
  send({ type: 'drained' })
  process.exit(0)
}

/** Tells the site host when nothing happened for the pool's idle timeout. */
function startIdleWatch(): void {
  if (config.idleTimeoutMs <= 0) return
  const everyMs = Math.max(250, Math.min(config.idleTimeoutMs / 4, 10_000))
  let seenCount = requestCount
  let quietSinceMs = Date.now()
  const timer = setInterval(() => {
    if (requestCount !== seenCount || connections.size > 0) {
      seenCount = requestCount
      quietSinceMs = Date.now()
      return
    }
    if (Date.now() - quietSinceMs >= config.idleTimeoutMs) send({ type: 'idle' })
  }, everyMs)
  timer.unref()
}

function send(message: WorkerToHost): void {
  if (process.connected) process.send?.(message)
}
