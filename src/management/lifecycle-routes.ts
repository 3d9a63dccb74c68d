/**
 * Status and pool lifecycle: `GET status`, `PUT start|stop|recycle`. Each
 * acts on all of the task's pools (recycle: on the started ones) and answers
 * with the new status; the driver turns the site host's pool events into task events.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify'
import type { DriverApi, TaskHandleView } from '../driver/types.js'
import type { PoolStatus } from './api-context.js'
import { authorizeTask } from './api-context.js'
import type { ApiContext } from './api-context.js'
import { ConflictError, DriverFailedError, ManagementError } from './errors.js'
import { recyclePoolsByKey } from './pool-control.js'
import { buildStatusBody } from './status-body.js'

type LifecycleAction = 'start' | 'stop' | 'recycle'

const ACTIONS: Record<
  LifecycleAction,
  keyof Pick<DriverApi, 'startPools' | 'stopPools' | 'recyclePools'>
> = {
  start: 'startPools',
  stop: 'stopPools',
  recycle: 'recyclePools',
}

export function registerLifecycleRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/allocs/:allocId/:taskName/status', async function getStatus(request) {
    const task = await authorizeTask(ctx, request, 'Status')
    const pools = await callDriver('read the pool status', () => ctx.driver.poolStatus(task.taskId))
    return buildStatusBody(task, pools)
  })

  for (const action of Object.keys(ACTIONS) as LifecycleAction[]) {
    app.put(`/api/v1/allocs/:allocId/:taskName/${action}`, async function changePools(request) {
      const task = await authorizeTask(ctx, request, 'AppPoolLifecycle')
      const pools =
        action === 'recycle'
          ? await recycleStartedPools(ctx, task)
          : await callDriver(`${action} the pools`, () => ctx.driver[ACTIONS[action]](task.taskId))
      request.log.info({ taskId: task.taskId, action }, 'pools changed through the api')
      return buildStatusBody(task, pools)
    })
  }
}

/** Runs a driver call, turning its failures into a 502 naming the operation. */
export async function callDriver<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    // The task may have ended between the lookup and the call.
    if ((err as { code?: string }).code === 'ERR_DRIVER_TASK_NOT_FOUND') {
      throw new ManagementError(
        'ERR_MANAGEMENT_TASK_NOT_FOUND',
        404,
        'the task ended while the request ran',
        {
          cause: err,
        },
      )
    }
    throw new DriverFailedError(operation, err)
  }
}

/**
 * Recycles the started pools and leaves the others as they are; with every
 * pool started, the driver's own recycle does it in one call.
 *
 * @throws ConflictError when no pool is started
 */
async function recycleStartedPools(ctx: ApiContext, task: TaskHandleView): Promise<PoolStatus[]> {
  const pools: PoolStatus[] = await callDriver('read the pool status', () =>
    ctx.driver.poolStatus(task.taskId),
  )
  const started = pools.filter((pool) => pool.state === 'Started').map((pool) => pool.key)
  if (started.length === 0) {
    throw new ConflictError(
      'no application pool of the task is started: start one before recycling',
    )
  }
  if (started.length === pools.length) {
    return callDriver('recycle the pools', () => ctx.driver.recyclePools(task.taskId))
  }
  await callDriver(`recycle the pools ${started.join(', ')}`, () =>
    recyclePoolsByKey(ctx, task, started),
  )
  return callDriver('read the pool status', () => ctx.driver.poolStatus(task.taskId))
}
