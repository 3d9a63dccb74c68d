/**
 * What a caller may do: everything (API key, open API) or what a token's
 * claims cover. Claims follow the IIS driver: `namespace`, `jobName`,
 * `allocId` and `capabilities`, each a string or a list, `*` meaning any;
 * a missing claim grants nothing for its dimension.
 *
 * @module
 */
import { ForbiddenError } from './errors.js'

export const CAPABILITIES = [
  'Status',
  'FilesystemAccess',
  'AppPoolLifecycle',
  'Screenshots',
  'ProcDump',
  'Debug',
] as const

export type Capability = (typeof CAPABILITIES)[number]

export type Grant =
  | { kind: 'full' }
  | {
      kind: 'claims'
      namespaces: string[]
      jobNames: string[]
      allocIds: string[]
      capabilities: string[]
    }

/** The owner fields of a task a grant is checked against. */
export interface GrantTarget {
  namespace: string
  jobName: string
  allocId: string
}

export const FULL_GRANT: Grant = { kind: 'full' }

/** Reads the four claims of a verified token into a grant. */
export function grantFromClaims(claims: Record<string, unknown>): Grant {
  return {
    kind: 'claims',
    namespaces: readList(claims.namespace),
    jobNames: readList(claims.jobName),
    allocIds: readList(claims.allocId),
    capabilities: readList(claims.capabilities),
  }
}

/**
 * Throws ForbiddenError unless the grant covers the target (when there is
 * one) and the capability.
 *
 * @throws ForbiddenError ERR_MANAGEMENT_FORBIDDEN
 */
export function checkGrant(grant: Grant, target: GrantTarget | null, capability: Capability): void {
  if (grant.kind === 'full') return
  if (target !== null) {
    requireCovered(grant.namespaces, target.namespace, 'namespace')
    requireCovered(grant.jobNames, target.jobName, 'jobName')
    requireCovered(grant.allocIds, target.allocId, 'allocId')
  }
  if (!isCovered(grant.capabilities, capability)) {
    throw new ForbiddenError(`the token lacks the capability '${capability}' this endpoint needs`)
  }
}

function requireCovered(allowed: string[], value: string, claim: string): void {
  if (isCovered(allowed, value)) return
  throw new ForbiddenError(`the token's '${claim}' claim does not cover '${value}'`)
}

function isCovered(allowed: string[], value: string): boolean {
  return allowed.includes('*') || allowed.includes(value)
}

function readList(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim]
  if (Array.isArray(claim)) return claim.filter((item): item is string => typeof item === 'string')
  return []
}
