/**
 * What every route shares: the driver, the authenticator, the limits and
 * the services, plus the one helper that runs the checks in the contract's
 * order (401, then 404, then 403).
 *
 * @module
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { DriverApi, DriverConfig, TaskHandleView } from '../driver/types.js'
import type { Authenticator } from './auth.js'
import { TaskNotFoundError } from './errors.js'
import { checkGrant } from './grant.js'
import type { Capability } from './grant.js'
import type { ManagementLimits } from './limits.js'
import type { ProcdumpService } from './procdump-service.js'
import type { ScreenshotService } from './screenshot-service.js'
import type { TaskQueue } from './task-queue.js'

export interface ApiContext {
  driver: DriverApi
  driverConfig: DriverConfig
  auth: Authenticator
  limits: ManagementLimits
  log: FastifyBaseLogger
  uploads: TaskQueue
  screenshots: ScreenshotService
  procdump: ProcdumpService
}

export interface TaskParams {
  allocId: string
  taskName: string
}

/**
 * Authenticates the request, finds its task and checks the grant covers it.
 *
 * @throws UnauthorizedError, TaskNotFoundError, ForbiddenError
 */
export async function authorizeTask(
  ctx: ApiContext,
  request: FastifyRequest,
  capability: Capability,
): Promise<TaskHandleView> {
  const grant = await ctx.auth.authenticate(request.headers)
  const { allocId, taskName } = request.params as TaskParams
  const task = ctx.driver.findTask(allocId, taskName)
  if (task === undefined) throw new TaskNotFoundError(allocId, taskName)
  checkGrant(grant, task, capability)
  return task
}

/** For endpoints tied to no allocation (debug): only the capability counts. */
export async function authorizeHost(
  ctx: ApiContext,
  request: FastifyRequest,
  capability: Capability,
): Promise<void> {
  const grant = await ctx.auth.authenticate(request.headers)
  checkGrant(grant, null, capability)
}

/** A pool as the driver reports it (management/ reaches the web host only through driver/). */
export type PoolStatus = Awaited<ReturnType<DriverApi['poolStatus']>>[number]
