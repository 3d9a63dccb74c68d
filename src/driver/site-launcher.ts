/**
 * The side effects of starting a task: application folders made ready
 * (placeholder app copied into empty ones) and a site host launched and
 * connected. A launch that fails half way leaves no site host behind.
 *
 * @module
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { SiteHostClient, startSiteHost } from '../webhost/index.js'
import { DriverError } from './errors.js'
import { ensureApplicationFolder } from './placeholder.js'
import { resolveTaskPath } from './site-mapping.js'
import { buildDriverState } from './task-view.js'
import type { TaskSettings } from './config.js'
import type { DriverState } from './driver-state.js'
import type { DriverLogger } from './logger.js'
import type { SiteDefinition } from '../webhost/index.js'
import type { TaskConfig } from './types.js'

export interface LaunchedSite {
  state: DriverState
  client: SiteHostClient
}

/**
 * Creates missing application folders and copies the placeholder app into empty ones.
 *
 * @throws {DriverError} ERR_DRIVER_APP_PATH naming the folder that could not be prepared
 */
export async function prepareApplicationFolders(
  settings: TaskSettings,
  task: TaskConfig,
  placeholderDir: string,
  log: DriverLogger,
): Promise<void> {
  const taskDir = join(task.allocDir, task.name)
  for (const app of settings.applications) {
    const folder = resolveTaskPath(taskDir, app.path)
    try {
      if (await ensureApplicationFolder(folder, placeholderDir)) {
        log.info({ folder }, 'placeholder app copied in')
      }
    } catch (err) {
      throw new DriverError(
        'ERR_DRIVER_APP_PATH',
        `cannot prepare the folder "${folder}" of application "${app.alias}": check the path and its permissions`,
        { cause: err },
      )
    }
  }
}

/**
 * Starts the site host of a task and connects to its control socket.
 *
 * @throws {DriverError} ERR_DRIVER_START_FAILED with the web host's reason (port in use, ...)
 */
export async function launchSiteHost(
  definition: SiteDefinition,
  task: TaskConfig,
  stateDir: string,
): Promise<LaunchedSite> {
  let started: Awaited<ReturnType<typeof startSiteHost>>
  try {
    await mkdir(stateDir, { recursive: true })
    started = await startSiteHost(definition, { stateDir })
  } catch (err) {
    // The reason goes into the message too: Nomad shows only the message to the job's owner.
    const reason = err instanceof Error ? err.message : String(err)
    throw new DriverError(
      'ERR_DRIVER_START_FAILED',
      `failed to start the site for task "${task.id}": ${reason}`,
      {
        cause: err,
      },
    )
  }

  try {
    const client = await SiteHostClient.connect(started.controlSocketPath)
    return { state: buildDriverState(definition, task, started, stateDir), client }
  } catch (err) {
    // Undo: the site host runs but we cannot control it, so it must not stay.
    killGroup(started.pid)
    throw new DriverError(
      'ERR_DRIVER_START_FAILED',
      `failed to connect to the site host of task "${task.id}": it was stopped`,
      { cause: err },
    )
  }
}

function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
}
