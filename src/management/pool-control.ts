/**
 * Lifecycle actions on some of a task's pools: recycling only the started
 * ones, or starting again only those a PUT upload stopped. The driver acts
 * on the pools named by their keys; its subscription to the site host turns
 * each action into task events as usual.
 *
 * @module
 */
import type { TaskHandleView } from '../driver/types.js'
import type { ApiContext } from './api-context.js'

/**
 * Recycles the pools named by `keys` of `task`, leaving the others alone.
 *
 * @throws DriverError when the site host cannot be reached or refuses a pool
 */
export async function recyclePoolsByKey(
  ctx: ApiContext,
  task: TaskHandleView,
  keys: string[],
): Promise<void> {
  await ctx.driver.recyclePools(task.taskId, keys)
}

/**
 * Starts the pools named by `keys` of `task`, leaving the others alone.
 *
 * @throws DriverError when the site host cannot be reached or refuses a pool
 */
export async function startPoolsByKey(
  ctx: ApiContext,
  task: TaskHandleView,
  keys: string[],
): Promise<void> {
  await ctx.driver.startPools(task.taskId, keys)
}
