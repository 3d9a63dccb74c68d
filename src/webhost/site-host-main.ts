/**
 * Entry point of a site host process, spawned detached by startSiteHost.
 * It receives its definition over IPC, starts, reports ready (or failed,
 * after cleaning up) and from then on lives on its own: the IPC channel is
 * dropped by the starter, SIGHUP is ignored, SIGTERM/SIGINT stop it cleanly.
 *
 * @module
 */
import { pino } from 'pino'
import { closeOutput, openOutput } from './output-sink.js'
import { writeExitRecord } from './registry.js'
import { SiteHost } from './site-host.js'
import { validateSiteDefinition } from './validate-definition.js'
import type { Logger } from 'pino'
import type { HostToParent, StartMessage } from './site-host-messages.js'

/** Drain time for a site host told to stop by a signal rather than the control socket. */
const SIGNAL_SHUTDOWN_MS = 10_000

process.title = 'nomad-iis-site-host'
process.on('SIGHUP', () => {})
process.once('message', (message: StartMessage) => void main(message))

async function main(message: StartMessage): Promise<void> {
  const stdoutFd = await openOutput(message.definition.stdoutPath).catch(() => null)
  const stderrFd = await openOutput(message.definition.stderrPath).catch(() => null)
  const logger = createLogger(stderrFd, message.definition.name)
  let host: SiteHost
  try {
    validateSiteDefinition(message.definition)
    host = new SiteHost({
      definition: message.definition,
      stateDir: message.stateDir,
      logger,
      stdoutFd,
      stderrFd,
    })
    await host.start()
  } catch (err) {
    const e = err as { code?: string; message?: string }
    logger.error({ err }, 'site host failed to start')
    reply({
      type: 'failed',
      code: e.code ?? 'ERR_WEBHOST_START_FAILED',
      message: e.message ?? String(err),
    })
    logger.flush()
    closeOutput(stdoutFd)
    process.exitCode = 1
    process.disconnect?.()
    return
  }
  host.onExit((record) => {
    logger.info({ exitCode: record.exitCode }, 'site host exited')
    logger.flush()
    setImmediate(() => process.exit(record.exitCode))
  })
  installSignalHandlers(host, logger, message.stateDir)
  reply({
    type: 'ready',
    pid: process.pid,
    controlSocketPath: host.controlSocketPath,
    startedAt: host.startedAt,
  })
  // The starter disconnects; the site host must not follow it.
  process.on('disconnect', () => {})
}

function installSignalHandlers(host: SiteHost, logger: Logger, stateDir: string): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      logger.info({ signal }, 'signal received')
      void host.shutdown(SIGNAL_SHUTDOWN_MS)
    })
  }
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'site host crashed')
    const record = {
      exitCode: 1,
      error: `site host crashed: ${err.message}`,
      at: new Date().toISOString(),
    }
    void writeExitRecord(stateDir, host.definition.name, record).finally(() => {
      host.shutdown(1000, record.error).finally(() => process.exit(1))
    })
  })
}

function createLogger(fd: number | null, site: string): Logger {
  if (fd === null) return pino({ level: 'silent' })
  return pino(
    { base: { component: 'site-host', site, pid: process.pid } },
    pino.destination({ fd, sync: false }),
  )
}

function reply(message: HostToParent): void {
  if (process.connected) process.send?.(message)
}
