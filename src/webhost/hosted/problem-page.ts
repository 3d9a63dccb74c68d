/**
 * The short error answers the site host gives for a hosted application
 * (502, 503, 504): `application/problem+json` (RFC 9457) for clients that
 * ask for JSON, a small HTML page for browsers.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

const TITLES: Record<number, string> = {
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/**
 * Answers with a problem page unless headers were sent already, in which
 * case the response is cut off: the client must not take it as complete.
 */
export function sendProblem(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  detail: string,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const title = TITLES[status] ?? 'Error'
  const wantsJson = /\bapplication\/(problem\+)?json\b/.test(req.headers.accept ?? '')
  const body = wantsJson
    ? JSON.stringify({ type: 'about:blank', title, status, detail })
    : `<!DOCTYPE html><html><head><title>${status} ${title}</title></head>` +
      `<body><h1>${status} ${title}</h1><p>${escapeHtml(detail)}</p></body></html>\n`
  res.writeHead(status, {
    'content-type': wantsJson ? 'application/problem+json' : 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(req.method === 'HEAD' ? undefined : body)
}

/** 503 with the app_offline.htm page, or a plain problem page when the pool stopped. */
export function sendUnavailable(
  req: IncomingMessage,
  res: ServerResponse,
  offline: Buffer | null,
): void {
  if (res.headersSent || res.destroyed) return
  if (offline === null) {
    sendProblem(req, res, 503, 'the application pool is stopped')
    return
  }
  res.writeHead(503, {
    'content-type': 'text/html',
    'content-length': offline.length,
    'cache-control': 'no-store',
  })
  res.end(req.method === 'HEAD' ? undefined : offline)
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
