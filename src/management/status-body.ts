/**
 * The status body: the original page's `applicationPool`, later versions'
 * `defaultApplicationPool` and `applicationPools`, all three, so clients of
 * either version work.
 *
 * @module
 */
import type { TaskHandleView } from '../driver/types.js'
import type { PoolStatus } from './api-context.js'

export interface PoolView {
  name: string
  status: string
  isWorkerProcessRunning: boolean
  /** Ours: the pool's full name, `nomad-<allocId>-<task>[-<key>]`. */
  fullName: string
  /** Ours: pids of its worker processes. */
  workerPids: number[]
  /** Ours: why the pool stopped when nobody asked it to (bad web.config, rapid fail), else null. */
  lastError: string | null
}

export interface StatusBody {
  allocId: string
  taskName: string
  applicationPool: PoolView | null
  defaultApplicationPool: PoolView | null
  applicationPools: PoolView[]
}

export function buildStatusBody(task: TaskHandleView, pools: PoolStatus[]): StatusBody {
  const views = pools.map(toPoolView)
  const defaultPool = views.find((pool) => pool.name === 'default') ?? null
  return {
    allocId: task.allocId,
    taskName: task.taskName,
    applicationPool: defaultPool,
    defaultApplicationPool: defaultPool,
    applicationPools: views,
  }
}

function toPoolView(pool: PoolStatus): PoolView {
  return {
    name: pool.key,
    status: pool.state,
    isWorkerProcessRunning: pool.workers.length > 0,
    fullName: pool.name,
    workerPids: pool.workers.map((worker) => worker.pid),
    lastError: pool.lastError ?? null,
  }
}
