/**
 * Authentication: an `X-Api-Key` compared in constant time, or a Bearer
 * JWT signed HS256 with the configured secret, as the IIS driver issues
 * them (iss NomadIIS, aud ManagementApi, exp required, 60 s clock skew).
 * Only HS256 is accepted: `none`, RS/ES and `crit` headers are refused.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { jwtVerify } from 'jose'
import type { IncomingHttpHeaders } from 'node:http'
import { UnauthorizedError } from './errors.js'
import { FULL_GRANT, grantFromClaims } from './grant.js'
import type { Grant } from './grant.js'

export const JWT_ISSUER = 'NomadIIS'
export const JWT_AUDIENCE = 'ManagementApi'
export const JWT_ALGORITHM = 'HS256'
/** Clock skew allowed on `exp` and `nbf`. */
export const JWT_CLOCK_SKEW_S = 60

export interface AuthOptions {
  /** Absent, null or empty: no API key. */
  apiKey?: string | null
  /** Absent, null or empty: no tokens. */
  jwtSecret?: string | null
}

/** Turns a request's credentials into a grant, or refuses them with 401. */
export class Authenticator {
  #apiKeyDigest: Buffer | null
  #jwtKey: Uint8Array | null
  #challenge: string

  constructor(options: AuthOptions) {
    const apiKey = nonEmpty(options.apiKey)
    const jwtSecret = nonEmpty(options.jwtSecret)
    this.#apiKeyDigest = apiKey === null ? null : digest(apiKey)
    this.#jwtKey = jwtSecret === null ? null : new TextEncoder().encode(jwtSecret)
    const challenges = []
    if (this.#jwtKey !== null) challenges.push('Bearer realm="ManagementApi"')
    if (this.#apiKeyDigest !== null) challenges.push('ApiKey realm="ManagementApi"')
    this.#challenge = challenges.join(', ')
  }

  /** True when neither a key nor a secret is set: every caller gets everything. */
  get isOpen(): boolean {
    return this.#apiKeyDigest === null && this.#jwtKey === null
  }

  /**
   * Checks the request's credentials.
   *
   * @throws UnauthorizedError ERR_MANAGEMENT_UNAUTHORIZED
   */
  async authenticate(headers: IncomingHttpHeaders): Promise<Grant> {
    if (this.isOpen) return FULL_GRANT
    const apiKey = headers['x-api-key']
    if (apiKey !== undefined) return this.#checkApiKey(Array.isArray(apiKey) ? apiKey[0] : apiKey)
    const authorization = headers.authorization
    if (authorization !== undefined) return this.#checkBearer(authorization)
    throw this.#refuse('credentials missing: send an X-Api-Key header or a Bearer token')
  }

  #checkApiKey(apiKey: string): Grant {
    if (this.#apiKeyDigest === null) {
      throw this.#refuse('API keys are not enabled here: send a Bearer token')
    }
    if (!timingSafeEqual(digest(apiKey), this.#apiKeyDigest)) {
      throw this.#refuse('the API key is wrong: send the key the plugin was started with')
    }
    return FULL_GRANT
  }

  async #checkBearer(authorization: string): Promise<Grant> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match === null) throw this.#refuse('the Authorization header must be "Bearer <token>"')
    if (this.#jwtKey === null) {
      throw this.#refuse('tokens are not enabled here: send the X-Api-Key header')
    }
    try {
      const { payload } = await jwtVerify(match[1], this.#jwtKey, {
        algorithms: [JWT_ALGORITHM],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        clockTolerance: JWT_CLOCK_SKEW_S,
        requiredClaims: ['exp'],
      })
      return grantFromClaims(payload)
    } catch (err) {
      throw this.#refuse(`the token is not valid: ${describeJoseError(err)}`, err)
    }
  }

  #refuse(message: string, cause?: unknown): UnauthorizedError {
    return new UnauthorizedError(message, this.#challenge, cause)
  }
}

function describeJoseError(err: unknown): string {
  const code = (err as { code?: string }).code
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired; mint a new one'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'its signature does not match the configured secret'
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'only HS256 tokens are accepted'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (err as { claim?: string }).claim ?? 'a claim'
      return `claim '${claim}' is wrong or missing (iss must be ${JWT_ISSUER}, aud ${JWT_AUDIENCE}, exp set)`
    }
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'it uses an unsupported header (crit) or algorithm; send a plain HS256 token'
    default:
      return 'it is malformed; send a compact HS256 JWT'
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value
}
