/**
 * `GET debug`: the driver's live handles and the host's sites and pools,
 * each flagged dangling when it carries the `nomad-` prefix and no live
 * handle owns it.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify'
import type { TaskHandleView } from '../driver/types.js'
import { authorizeHost } from './api-context.js'
import type { ApiContext } from './api-context.js'
import { callDriver } from './lifecycle-routes.js'

const OWNED_PREFIX = 'nomad-'

export function registerDebugRoute(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/v1/debug', async function getDebug(request) {
    await authorizeHost(ctx, request, 'Debug')
    const handles = ctx.driver.listTasks()
    const resources = await callDriver('list the host sites and pools', () =>
      ctx.driver.listHostResources(),
    )
    const ownedSites = new Set(handles.map((handle) => handle.siteName))
    const ownedPools = new Set(handles.flatMap((handle) => handle.poolNames))
    const sites = resources.sites.map((name) => flag(name, ownedSites))
    const pools = resources.pools.map((name) => flag(name, ownedPools))
    return {
      iisHandleCount: handles.length,
      iisHandles: handles.map(toHandleView),
      danglingIisAppPools: pools.filter((pool) => pool.isDangling).length,
      danglingIisWebsites: sites.filter((site) => site.isDangling).length,
      iisAppPools: pools,
      iisWebsites: sites,
    }
  })
}

function flag(name: string, owned: Set<string>): { name: string; isDangling: boolean } {
  return { name, isDangling: name.startsWith(OWNED_PREFIX) && !owned.has(name) }
}

function toHandleView(handle: TaskHandleView): Record<string, unknown> {
  return {
    taskId: handle.taskId,
    appPoolName: handle.poolNames[0] ?? null,
    appPoolNames: handle.poolNames,
    allocId: handle.allocId,
    namespace: handle.namespace,
    jobId: handle.jobId,
    jobName: handle.jobName,
    taskName: handle.taskName,
    taskGroupName: handle.taskGroupName,
    isRecovered: handle.isRecovered,
    siteName: handle.siteName,
  }
}
