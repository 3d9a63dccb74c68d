/**
 * What the driver keeps in Nomad's task handle (`driver_state`) to find a
 * site host again after a plugin restart: a msgpack map with string keys
 * (tolerant to fields added later) and a version constant. Nomad stores the
 * bytes and gives them back unchanged in RecoverTask.
 *
 * @module
 */
import { decode, encode } from '@msgpack/msgpack'
import { DriverError } from './errors.js'
import type { TaskHandleState } from './types.js'

/** Bumped on every incompatible change of the layout below; 0 is Nomad's own. */
export const DRIVER_STATE_VERSION = 1

/** Everything needed to reattach without the task config (empty after an agent restart). */
export interface DriverState {
  siteName: string
  siteHostPid: number
  controlSocketPath: string
  /** ISO time the site host started. */
  startedAt: string
  stateDir: string
  taskDir: string
  taskId: string
  allocId: string
  taskName: string
  taskGroupName: string
  jobId: string
  jobName: string
  namespace: string
  /** Pool keys in the site, `default` first when present. */
  poolKeys: string[]
  poolNames: string[]
  /** An http URL reaching the site root from this machine, if a binding allows one. */
  siteUrl: string | null
}

const STRING_FIELDS = [
  'siteName',
  'controlSocketPath',
  'startedAt',
  'stateDir',
  'taskDir',
  'taskId',
  'allocId',
  'taskName',
  'taskGroupName',
  'jobId',
  'jobName',
  'namespace',
] as const

/** Encodes the handle state Nomad keeps for a task. */
export function encodeDriverState(state: DriverState): TaskHandleState {
  return {
    version: DRIVER_STATE_VERSION,
    driverState: encode({ v: DRIVER_STATE_VERSION, ...state }),
  }
}

/**
 * Decodes a handle state from Nomad.
 *
 * @throws {DriverError} ERR_DRIVER_INVALID_HANDLE when it is empty, of another version or incomplete
 */
export function decodeDriverState(handle: TaskHandleState): DriverState {
  if (handle.version !== DRIVER_STATE_VERSION) {
    throw invalid(
      `handle version ${handle.version} is not ${DRIVER_STATE_VERSION}, the only one this driver reads`,
    )
  }
  if (handle.driverState.length === 0) throw invalid('the handle has no driver state')

  let raw: unknown
  try {
    raw = decode(handle.driverState)
  } catch (err) {
    throw invalid('the driver state is not valid msgpack', err)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid('the driver state is not a map')
  const map = raw as Record<string, unknown>
  if (map.v !== DRIVER_STATE_VERSION)
    throw invalid(`the driver state's layout version is ${String(map.v)}`)

  for (const field of STRING_FIELDS) {
    if (typeof map[field] !== 'string') throw invalid(`the driver state lacks "${field}"`)
  }
  if (
    typeof map.siteHostPid !== 'number' ||
    !Number.isInteger(map.siteHostPid) ||
    map.siteHostPid <= 0
  ) {
    throw invalid('the driver state lacks a valid "siteHostPid"')
  }
  const poolKeys = stringList(map.poolKeys)
  const poolNames = stringList(map.poolNames)
  if (poolKeys === null || poolNames === null)
    throw invalid('the driver state lacks its pool lists')

  const state: Partial<DriverState> = { siteHostPid: map.siteHostPid, poolKeys, poolNames }
  for (const field of STRING_FIELDS) state[field] = map[field] as string
  state.siteUrl = typeof map.siteUrl === 'string' ? map.siteUrl : null
  return state as DriverState
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
    ? (value as string[])
    : null
}

function invalid(reason: string, cause?: unknown): DriverError {
  return new DriverError('ERR_DRIVER_INVALID_HANDLE', `cannot recover the task: ${reason}`, {
    cause,
  })
}
