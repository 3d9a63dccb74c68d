/**
 * The reverse proxy from the site host to a hosted program, in the part the
 * ASP.NET Core Module plays on IIS: bodies stream both ways, WebSocket
 * upgrades are tunnelled, the program sees the full request path (the
 * application's path base included) and the original Host, and learns the
 * client from X-Forwarded-For/Proto/Host.
 *
 * Diagnostics channels (no logging here): `nomad-iis:proxy:request`
 * ({ request }), `nomad-iis:proxy:response` ({ request, statusCode }),
 * `nomad-iis:proxy:error` ({ request, error, statusCode }) and
 * `nomad-iis:proxy:upgrade` ({ request }).
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel'
import { Agent, request as httpRequest } from 'node:http'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream'
import { HostedError } from './errors.js'
import { sendProblem } from './problem-page.js'
import { CLIENT_ADDRESS_HEADER } from '../site-host-messages.js'
import { copyHeaders } from '../internal-hop.js'

const requestChannel = diagnostics.channel('nomad-iis:proxy:request')
const responseChannel = diagnostics.channel('nomad-iis:proxy:response')
const errorChannel = diagnostics.channel('nomad-iis:proxy:error')
const upgradeChannel = diagnostics.channel('nomad-iis:proxy:upgrade')

/** Methods that may be sent again when a reused upstream connection was closed under us. */
const RETRYABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Where a request goes. */
export interface ProxyTarget {
  host: string
  port: number
  /** ASP.NET Core's pairing token, sent as MS-ASPNETCORE-TOKEN; null for other programs. */
  pairingToken: string | null
}

export interface ProgramProxyOptions {
  /** 504 after the program is silent this long (ANCM requestTimeout); default 120000. */
  requestTimeoutMs?: number
  /** Idle connections kept open to each program; default 256. */
  maxFreeSockets?: number
}

/**
 * Forwards requests and upgrades to a program.
 *
 * @example
 * const proxy = new ProgramProxy()
 * server.on('request', (req, res) => proxy.forward(req, res, target, () => {}))
 * server.on('upgrade', (req, socket, head) => proxy.upgrade(req, socket, head, target))
 */
export class ProgramProxy {
  readonly requestTimeoutMs: number
  #agent: Agent
  #isClosed = false

  constructor(options: ProgramProxyOptions = {}) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 120_000
    if (!(this.requestTimeoutMs > 0)) {
      throw new HostedError('ERR_HOSTED_INVALID_ARGUMENT', 'requestTimeoutMs must be > 0')
    }
    this.#agent = new Agent({
      keepAlive: true,
      maxFreeSockets: options.maxFreeSockets ?? 256,
      scheduling: 'lifo',
    })
  }

  /**
   * Forwards one request. `onDone` is called once the response to the
   * client has ended or failed (a callback, not a promise: this is the hot path).
   */
  forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: ProxyTarget,
    onDone?: () => void,
  ): void {
    if (onDone !== undefined) res.once('close', onDone)
    if (this.#isClosed) {
      sendProblem(req, res, 503, 'the application is shutting down')
      return
    }
    if (requestChannel.hasSubscribers) requestChannel.publish({ request: req })
    this.#send(req, res, target, true)
  }

  /** Tunnels an Upgrade request (WebSocket) to the program. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ProxyTarget): void {
    upgradeChannel.publish({ request: req })
    const upstream = httpRequest({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: buildUpstreamHeaders(req, target, true),
    })
    upstream.once('upgrade', (upRes, upSocket, upHead) => {
      socket.write(statusBlock(upRes))
      if (upHead.length > 0) socket.write(upHead)
      if (head.length > 0) upSocket.write(head)
      pipeline(socket, upSocket, socket, () => {
        socket.destroy()
        upSocket.destroy()
      })
    })
    upstream.once('response', (upRes) => {
      socket.write(statusBlock(upRes))
      pipeline(upRes, socket, () => socket.destroy())
    })
    upstream.once('error', (error) => {
      errorChannel.publish({ request: req, error, statusCode: 502 })
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    })
    socket.once('error', () => upstream.destroy())
    upstream.end()
  }

  /** Stops accepting work and closes idle upstream connections. */
  async close(): Promise<void> {
    this.#isClosed = true
    this.#agent.destroy()
  }

  /** Same as close: responses in flight are cut by their own connections. */
  async destroy(): Promise<void> {
    await this.close()
  }

  #send(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, mayRetry: boolean): void {
    const upstream = httpRequest({
      host: target.host,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: buildUpstreamHeaders(req, target, false),
      agent: this.#agent,
    })
    upstream.setTimeout(this.requestTimeoutMs, () => {
      upstream.destroy(new HostedError('ERR_HOSTED_REQUEST_TIMEOUT', 'program did not answer'))
    })
    upstream.once('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, copyHeaders(upRes.headers))
      if (responseChannel.hasSubscribers) {
        responseChannel.publish({ request: req, statusCode: upRes.statusCode })
      }
      // A program that dies mid-body: the client's response is cut, not ended as if complete.
      upRes.once('error', () => res.destroy())
      upRes.once('aborted', () => res.destroy())
      upRes.pipe(res)
    })
    upstream.once('error', (error) => {
      if (mayRetry && upstream.reusedSocket && isRetryable(req, error)) {
        this.#send(req, res, target, false)
        return
      }
      const isTimeout = error instanceof HostedError
      const statusCode = isTimeout ? 504 : 502
      errorChannel.publish({ request: req, error, statusCode })
      const detail = isTimeout
        ? `the application did not answer within ${this.requestTimeoutMs} ms`
        : 'the application is not reachable: its program is not running or refused the connection'
      sendProblem(req, res, statusCode, detail)
    })
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy()
    })
    // pipe, not pipeline: a failed upstream must not destroy the client's connection,
    // which still has to carry the 502 or 504.
    if (req.readableEnded) upstream.end()
    else req.pipe(upstream)
  }
}

/** The request's headers as the program should see them. */
function buildUpstreamHeaders(
  req: IncomingMessage,
  target: ProxyTarget,
  isUpgrade: boolean,
): OutgoingHttpHeaders {
  const headers = copyHeaders(req.headers)
  if (isUpgrade) {
    headers.connection = 'upgrade'
    headers.upgrade = req.headers.upgrade
  }
  // De facto forwarding fields (RFC 7239 describes their standard successor):
  // the client's address is appended, the scheme and host are ours to say.
  // A request that came back through the site host's internal (Unix) socket
  // has no address of its own: the worker that forwarded it names the client
  // in a private field (CLIENT_ADDRESS_HEADER), which SitePrograms drops from
  // clients' own connections, so a client cannot set it.
  const forwarded = req.headers[CLIENT_ADDRESS_HEADER]
  const client = req.socket.remoteAddress ?? (typeof forwarded === 'string' ? forwarded : undefined)
  const prior = req.headers['x-forwarded-for']
  if (client !== undefined) headers['x-forwarded-for'] = prior ? `${prior}, ${client}` : client
  headers['x-forwarded-proto'] = 'encrypted' in req.socket ? 'https' : 'http'
  if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host
  if (target.pairingToken !== null) headers['ms-aspnetcore-token'] = target.pairingToken
  return headers
}

/** The raw status line and headers of an upstream answer to an upgrade request. */
function statusBlock(upRes: IncomingMessage): string {
  let block = `HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage}\r\n`
  const raw = upRes.rawHeaders
  for (let i = 0; i < raw.length; i += 2) block += `${raw[i]}: ${raw[i + 1]}\r\n`
  return `${block}\r\n`
}

function isRetryable(req: IncomingMessage, error: NodeJS.ErrnoException): boolean {
  const hasNoBody = req.headers['content-length'] === undefined && !req.headers['transfer-encoding']
  return RETRYABLE_METHODS.has(req.method ?? '') && hasNoBody && error.code === 'ECONNRESET'
}
