/**
 * Lifecycle actions on some of a task's pools. DriverApi acts on all of a
 * task's pools at once; recycling only the started ones, or starting again
 * only those a PUT upload stopped, needs a pool key, which it does not
 * take. Until it does (optional `recyclePool(taskId, key)` and
 * `startPool(taskId, key)` on the driver are used when present), the keyed request goes to the
 * task's site host over its control socket, found in the driver's state
 * registry. The driver stays subscribed to the site host's events, so the
 * recycle still reaches the task events.
 *
 * @module
 */
import type { TaskHandleView } from '../driver/types.js'
import { SiteHostClient, readRegistry } from '../webhost/index.js'
import type { ApiContext } from './api-context.js'

type PoolAction = 'recyclePool' | 'startPool'

type KeyedDriver = Record<
  PoolAction,
  ((taskId: string, key: string) => Promise<unknown>) | undefined
>

/**
 * Recycles the pools named by `keys` of `task`, leaving the others alone.
 *
 * @throws Error when the site host cannot be reached or refuses a pool
 */
export function recyclePoolsByKey(
  ctx: ApiContext,
  task: TaskHandleView,
  keys: string[],
): Promise<void> {
  return actOnPools(ctx, task, keys, 'recyclePool')
}

/**
 * Starts the pools named by `keys` of `task`, leaving the others alone.
 *
 * @throws Error when the site host cannot be reached or refuses a pool
 */
export function startPoolsByKey(
  ctx: ApiContext,
  task: TaskHandleView,
  keys: string[],
): Promise<void> {
  return actOnPools(ctx, task, keys, 'startPool')
}

async function actOnPools(
  ctx: ApiContext,
  task: TaskHandleView,
  keys: string[],
  action: PoolAction,
): Promise<void> {
  const keyed = (ctx.driver as unknown as Partial<KeyedDriver>)[action]
  if (typeof keyed === 'function') {
    await Promise.all(keys.map((key) => keyed.call(ctx.driver, task.taskId, key)))
    return
  }
  const entries = await readRegistry(ctx.driverConfig.stateDir)
  const entry = entries.find((item) => item.definition.name === task.siteName)
  if (entry === undefined) throw new Error(`site '${task.siteName}' has no running site host`)
  const client = await SiteHostClient.connect(entry.controlSocketPath)
  try {
    await Promise.all(keys.map((key) => client[action](key)))
  } finally {
    client.close()
  }
}
