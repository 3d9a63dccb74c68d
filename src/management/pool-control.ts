/**
 * Lifecycle actions on some of a task's pools. DriverApi acts on all of a
 * task's pools at once; recycling only the started ones needs a pool key,
 * which it does not take. Until it does (an optional `recyclePool(taskId,
 * key)` on the driver is used when present), the keyed request goes to the
 * task's site host over its control socket, found in the driver's state
 * registry. The driver stays subscribed to the site host's events, so the
 * recycle still reaches the task events.
 *
 * @module
 */
import type { DriverApi, TaskHandleView } from '../driver/types.js'
import { SiteHostClient, readRegistry } from '../webhost/index.js'
import type { ApiContext } from './api-context.js'

interface KeyedRecycle {
  recyclePool(taskId: string, key: string): Promise<unknown>
}

function hasKeyedRecycle(driver: DriverApi): driver is DriverApi & KeyedRecycle {
  return typeof (driver as Partial<KeyedRecycle>).recyclePool === 'function'
}

/**
 * Recycles the pools named by `keys` of `task`, leaving the others alone.
 *
 * @throws Error when the site host cannot be reached or refuses a pool
 */
export async function recyclePoolsByKey(
  ctx: ApiContext,
  task: TaskHandleView,
  keys: string[],
): Promise<void> {
  const driver = ctx.driver
  if (hasKeyedRecycle(driver)) {
    await Promise.all(keys.map((key) => driver.recyclePool(task.taskId, key)))
    return
  }
  const entries = await readRegistry(ctx.driverConfig.stateDir)
  const entry = entries.find((item) => item.definition.name === task.siteName)
  if (entry === undefined) throw new Error(`site '${task.siteName}' has no running site host`)
  const client = await SiteHostClient.connect(entry.controlSocketPath)
  try {
    await Promise.all(keys.map((key) => client.recyclePool(key)))
  } finally {
    client.close()
  }
}
