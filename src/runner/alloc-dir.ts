/**
 * An alloc dir laid out as a Nomad client lays it out:
 *
 * ```
 * <work>/allocs/<alloc_id>/
 *   alloc/{data,logs,tmp}              shared by the group's tasks
 *   <task>/{local,secrets,tmp,private} one per task
 * ```
 *
 * @module
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

const SHARED_DIRS = ['data', 'logs', 'tmp']
const TASK_DIRS = ['local', 'secrets', 'tmp', 'private']

/** Paths of one task inside an alloc dir, as Nomad names them in the task env. */
export interface TaskDirs {
  /** `<alloc>/<task>`: the task's root, where Nomad runs it. */
  root: string
  local: string
  secrets: string
  tmp: string
  private: string
}

export class AllocDir {
  /** `<work>/allocs/<alloc_id>`: what TaskConfig.alloc_dir carries. */
  readonly path: string
  /** `<alloc>/alloc`: NOMAD_ALLOC_DIR. */
  readonly sharedDir: string
  readonly logsDir: string

  constructor(allocsDir: string, allocId: string) {
    this.path = join(allocsDir, allocId)
    this.sharedDir = join(this.path, 'alloc')
    this.logsDir = join(this.sharedDir, 'logs')
  }

  /** Creates the shared dirs and each task's dirs. Mode 0700 on secrets and private, as Nomad does. */
  async build(taskNames: string[]): Promise<void> {
    for (const dir of SHARED_DIRS) await mkdir(join(this.sharedDir, dir), { recursive: true })
    for (const task of taskNames) {
      for (const dir of TASK_DIRS) {
        const isPrivate = dir === 'secrets' || dir === 'private'
        await mkdir(join(this.path, task, dir), {
          recursive: true,
          mode: isPrivate ? 0o700 : 0o777,
        })
      }
    }
  }

  taskDirs(task: string): TaskDirs {
    const root = join(this.path, task)
    return {
      root,
      local: join(root, 'local'),
      secrets: join(root, 'secrets'),
      tmp: join(root, 'tmp'),
      private: join(root, 'private'),
    }
  }

  /** Removes the whole alloc dir; idempotent. */
  async destroy(): Promise<void> {
    await rm(this.path, { recursive: true, force: true, maxRetries: 3 })
  }
}
