/**
 * IIS's application initialization (preload): after a program starts, one
 * request to the application's root, so that the first user does not pay
 * for the program's warm-up.
 *
 * @module
 */
import { request as httpRequest } from 'node:http'
import type { ProxyTarget } from './proxy.js'

/** How the warm-up went: the status the program answered, or the error. */
export type WarmUpResult = { status: number } | { error: Error }

/**
 * Sends `GET <alias>/` to the program and reports the outcome; the answer's
 * body is discarded.
 */
export function sendWarmUp(
  target: ProxyTarget,
  alias: string,
  onResult: (result: WarmUpResult) => void,
): void {
  const path = alias === '/' ? '/' : `${alias}/`
  const headers: Record<string, string> = { host: 'localhost', 'user-agent': 'nomad-iis warm-up' }
  if (target.pairingToken !== null) headers['ms-aspnetcore-token'] = target.pairingToken
  const req = httpRequest({ host: target.host, port: target.port, path, headers })
  req.on('response', (res) => {
    res.resume()
    onResult({ status: res.statusCode ?? 0 })
  })
  req.on('error', (error) => onResult({ error }))
  req.end()
}
