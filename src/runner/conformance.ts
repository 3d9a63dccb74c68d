/**
 * What a real Nomad client needs in the plugin's answers, checked on every
 * answer the runner gets (reference section 6). A Nomad agent crashes, or
 * silently loses a task after a restart, on each of these; the runner
 * names them instead, so that running a job locally is also a conformance
 * check of the plugin. Each function returns the problems found, empty
 * when the message is fine.
 *
 * @module
 */
import type { Message } from './plugin-client.js'

/** StartTaskResponse: Nomad keeps the handle and gives it back in RecoverTask. */
export function checkStartResponse(response: Message, taskId: string): string[] {
  const handle = response.handle as Message | null | undefined
  if (handle === null || handle === undefined) {
    return ['StartTask answered without a handle: Nomad could never recover the task']
  }
  const problems: string[] = []
  if (!(Number(handle.version) >= 1)) {
    problems.push(`StartTask handle version is ${handle.version}: 0 is reserved, start at 1`)
  }
  if (handle.config?.id !== taskId) {
    problems.push(
      'StartTask handle does not echo the task config: after an agent restart RecoverTask would arrive with no task id',
    )
  }
  if (handle.driver_state === undefined || handle.driver_state.length === 0) {
    problems.push('StartTask handle has no driver_state: nothing to reattach with after a restart')
  }
  if (handle.state !== undefined && handle.state !== 'RUNNING') {
    problems.push(`StartTask handle state is ${handle.state}, not RUNNING`)
  }
  return problems
}

/** WaitTaskResponse: Nomad clients before v1.11.3 dereference `result`. */
export function checkWaitResponse(response: Message): string[] {
  if (response.result === null || response.result === undefined) {
    return ['WaitTask answered without result: Nomad clients before v1.11.3 crash on it']
  }
  return []
}

/** TaskStatsResponse: a missing `stats` or `agg_resource_usage` crashes the agent. */
export function checkStatsResponse(response: Message): string[] {
  const stats = response.stats as Message | null | undefined
  if (stats === null || stats === undefined) {
    return ['TaskStats sent a response without stats: the Nomad agent crashes on it']
  }
  const problems: string[] = []
  if (stats.agg_resource_usage === null || stats.agg_resource_usage === undefined) {
    problems.push('TaskStats sent stats without agg_resource_usage: the Nomad agent crashes on it')
  }
  if (stats.timestamp === null || stats.timestamp === undefined) {
    problems.push('TaskStats sent stats without a timestamp: Nomad drops the sample')
  }
  return problems
}
