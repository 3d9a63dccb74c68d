/**
 * Mints tokens the API accepts, with the claims the IIS driver's docs page
 * puts in them (namespace, jobName, allocId, capabilities; `*` = any).
 *
 * @example
 * const token = await mintToken({ secret: 's3cret', capabilities: ['Status'], expiresInS: 3600 })
 *
 * @module
 */
import { SignJWT } from 'jose'
import { JWT_ALGORITHM, JWT_AUDIENCE, JWT_ISSUER } from './auth.js'
import { CAPABILITIES } from './grant.js'

export interface TokenRequest {
  secret: string
  namespaces?: string[]
  jobNames?: string[]
  allocIds?: string[]
  /** Capability names or `*`. Default `*`. */
  capabilities?: string[]
  expiresInS: number
  /** Seconds since the epoch; defaults to now. */
  nowS?: number
}

const UNITS_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/**
 * Signs a token.
 *
 * @throws TypeError naming the bad field (empty secret, unknown capability, expiry not positive)
 */
export async function mintToken(request: TokenRequest): Promise<string> {
  if (request.secret === '') throw new TypeError('secret must not be empty')
  if (!(request.expiresInS > 0)) throw new TypeError('the expiry must be a positive duration')
  const capabilities = request.capabilities?.length ? request.capabilities : ['*']
  for (const capability of capabilities) {
    if (capability !== '*' && !(CAPABILITIES as readonly string[]).includes(capability)) {
      throw new TypeError(
        `unknown capability '${capability}': use one of ${CAPABILITIES.join(', ')} or *`,
      )
    }
  }
  const nowS = request.nowS ?? Math.floor(Date.now() / 1000)
  return new SignJWT({
    namespace: claimValue(request.namespaces),
    jobName: claimValue(request.jobNames),
    allocId: claimValue(request.allocIds),
    capabilities,
  })
    .setProtectedHeader({ alg: JWT_ALGORITHM, typ: 'JWT' })
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + request.expiresInS)
    .sign(new TextEncoder().encode(request.secret))
}

/**
 * Reads `30d`, `12h`, `90m`, `45s`, `2w` or a bare number of seconds.
 *
 * @throws TypeError for anything else
 */
export function parseExpiry(text: string): number {
  const match = /^(\d+)([smhdw]?)$/.exec(text.trim())
  if (match === null || Number(match[1]) === 0) {
    throw new TypeError(`expiry '${text}' is not a duration: use e.g. 30d, 12h, 90m or 3600`)
  }
  return Number(match[1]) * UNITS_S[match[2] || 's']
}

/** One value stays a string, as the IIS driver's page writes it; several become a list. */
function claimValue(values: string[] | undefined): string | string[] {
  if (values === undefined || values.length === 0) return '*'
  return values.length === 1 ? values[0] : values
}
