/**
 * What the driver shows of a task to others: the view management/ uses,
 * task events, and the handle state built when a site host starts.
 *
 * @module
 */
import { join } from 'node:path'
import type { DriverState } from './driver-state.js'
import type { TaskHandle } from './handle.js'
import type { SiteDefinition } from '../webhost/index.js'
import type { TaskConfig, TaskEvent, TaskHandleView } from './types.js'

/** The handle state of a task whose site host just started. */
export function buildDriverState(
  definition: SiteDefinition,
  task: TaskConfig,
  started: { pid: number; controlSocketPath: string; startedAt: string },
  stateDir: string,
): DriverState {
  return {
    siteName: definition.name,
    siteHostPid: started.pid,
    controlSocketPath: started.controlSocketPath,
    startedAt: started.startedAt,
    stateDir,
    taskDir: join(task.allocDir, task.name),
    taskId: task.id,
    allocId: task.allocId,
    taskName: task.name,
    taskGroupName: task.taskGroupName,
    jobId: task.jobId,
    jobName: task.jobName,
    namespace: task.namespace,
    poolKeys: definition.pools.map((pool) => pool.key),
    poolNames: definition.pools.map((pool) => pool.name),
    siteUrl: siteUrl(definition),
  }
}

// A binding without a hostname is reachable by address alone; prefer it.
function siteUrl(definition: SiteDefinition): string | null {
  const binding =
    definition.bindings.find((b) => b.protocol === 'http' && b.hostname === null) ??
    definition.bindings.find((b) => b.protocol === 'http')
  if (!binding) return null
  const address =
    binding.ipAddress === null || binding.ipAddress === '0.0.0.0' || binding.ipAddress === '*'
      ? '127.0.0.1'
      : binding.ipAddress === '::'
        ? '[::1]'
        : binding.ipAddress.includes(':')
          ? `[${binding.ipAddress}]`
          : binding.ipAddress
  return `http://${address}:${binding.port}/`
}

/** A handle as management/ sees it. */
export function toView(handle: TaskHandle): TaskHandleView {
  const state = handle.state
  return {
    taskId: state.taskId,
    allocId: state.allocId,
    taskName: state.taskName,
    taskGroupName: state.taskGroupName,
    jobId: state.jobId,
    jobName: state.jobName,
    namespace: state.namespace,
    taskDir: state.taskDir,
    siteName: state.siteName,
    poolNames: state.poolNames,
    isRecovered: handle.isRecovered,
    siteUrl: state.siteUrl,
  }
}

/** A task event of the driver itself (the site host's events come through the handle). */
export function taskEvent(
  handle: TaskHandle,
  message: string,
  annotations: Record<string, string>,
): TaskEvent {
  return {
    taskId: handle.state.taskId,
    allocId: handle.state.allocId,
    taskName: handle.state.taskName,
    at: new Date(),
    message,
    annotations,
  }
}
