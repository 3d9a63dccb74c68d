/**
 * The internal hop: a request that arrived on a connection owned by another
 * pool (a static worker's, or the site host's hosted-program path) is sent
 * to the site host's internal Unix socket, where it is routed afresh. Also
 * the one place that strips hop-by-hop fields for every forwarding path.
 *
 * @module
 */
import { request } from 'node:http'
import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http'
import { CLIENT_ADDRESS_HEADER } from './site-host-messages.js'

/**
 * Fields that describe one connection and are never forwarded (RFC 9110
 * section 7.6.1), together with any field the Connection header names.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/**
 * Copies headers without the hop-by-hop ones and without the private
 * client-address field, which only the forwarding code itself may set.
 */
export function copyHeaders(source: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(source.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  )
  const headers: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue
    if (name === CLIENT_ADDRESS_HEADER) continue
    headers[name] = value
  }
  return headers
}

/**
 * Sends `req` to the site host's internal socket and its answer back on
 * `res`. `clientAddress` is the real client's, carried in the private field
 * (the caller decides whether a copy that came with the request is trusted).
 * The answer's hop-by-hop fields stay on the internal hop: the client's
 * connection keeps its own keep-alive state. A pool answering at TCP level
 * drops the connection; so does the client's.
 */
export function forwardToSiteHost(
  req: IncomingMessage,
  res: ServerResponse,
  internalSocketPath: string,
  clientAddress: string | undefined,
): void {
  const headers = copyHeaders(req.headers)
  if (clientAddress !== undefined) headers[CLIENT_ADDRESS_HEADER] = clientAddress
  const upstream = request({
    socketPath: internalSocketPath,
    method: req.method,
    path: req.url,
    headers,
    agent: false,
  })
  upstream.on('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, copyHeaders(answer.headers))
    answer.pipe(res)
  })
  upstream.on('error', () => req.socket.destroy())
  req.pipe(upstream)
}
