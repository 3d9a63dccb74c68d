/**
 * The driver's tasks by id: started ones and recovered ones, running or
 * exited, until Nomad destroys them.
 *
 * @module
 */
import { DriverError } from './errors.js'
import type { TaskHandle } from './handle.js'

export class TaskStore {
  #handles = new Map<string, TaskHandle>()

  has(taskId: string): boolean {
    return this.#handles.has(taskId)
  }

  /** @throws {DriverError} ERR_DRIVER_TASK_NOT_FOUND */
  get(taskId: string): TaskHandle {
    const handle = this.#handles.get(taskId)
    if (handle) return handle
    throw new DriverError(
      'ERR_DRIVER_TASK_NOT_FOUND',
      `no task with id "${taskId}" is known to this driver`,
    )
  }

  set(handle: TaskHandle): void {
    this.#handles.set(handle.state.taskId, handle)
  }

  delete(taskId: string): void {
    this.#handles.delete(taskId)
  }

  findByAlloc(allocId: string, taskName: string): TaskHandle | undefined {
    for (const handle of this.#handles.values()) {
      if (handle.state.allocId === allocId && handle.state.taskName === taskName) return handle
    }
    return undefined
  }

  values(): TaskHandle[] {
    return [...this.#handles.values()]
  }
}
