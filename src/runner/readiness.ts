/**
 * Waits until a URL answers HTTP at all (any status): the moment a task
 * "serves". A bounded poll, since a site host gives no event a runner could
 * wait on from outside.
 *
 * @module
 */
import { request } from 'node:http'

const POLL_INTERVAL_MS = 100
const ATTEMPT_TIMEOUT_MS = 2000

/**
 * Resolves true once `url` answers, false when `deadlineMs` passes or
 * `signal` aborts first.
 */
export async function waitUntilServing(
  url: string,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const giveUpAt = Date.now() + deadlineMs
  while (!signal.aborted && Date.now() < giveUpAt) {
    if (await answers(url)) return true
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS))
  }
  return false
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: ATTEMPT_TIMEOUT_MS }, (res) => {
      res.resume()
      resolve(true)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}
