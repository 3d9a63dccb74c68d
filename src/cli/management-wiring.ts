/**
 * Wires the Management API into plugin mode: plugin/ and management/ do not
 * import each other, the executable joins them. The API starts once the
 * long-lived plugin instance has its config (it needs the decoded driver
 * config), and only when a port was given, so the agent's short validation
 * launches never bind the port. A failure to listen is logged and leaves the
 * plugin serving: the API is an add-on, the driver must keep working.
 *
 * @module
 */
import type { DriverApi } from '../driver/types.js'
import type { PluginConfigState } from '../plugin/base-service.js'
import type { Logger } from '../plugin/hclog.js'
import type { PluginArgs } from '../plugin/plugin-args.js'

export interface ManagementWiring {
  close(): Promise<void>
}

interface Options {
  state: PluginConfigState
  driver: DriverApi
  args: PluginArgs
  log: Logger
}

/** Arranges the start; `close()` stops the API if it was started. */
export function startManagementOnConfig(options: Options): ManagementWiring {
  const { args, log } = options
  let started: Promise<{ close(): Promise<void> } | null> | undefined
  if (args.managementApiPort !== null) {
    const port = args.managementApiPort
    options.state.onConfig((driverConfig, isLongLived) => {
      if (!isLongLived || started !== undefined) return
      started = import('../management/server.js')
        .then(({ startManagementApi }) =>
          startManagementApi({
            driver: options.driver,
            port,
            // Absent: the API picks loopback when open, every interface with auth.
            address: args.managementApiAddress ?? undefined,
            apiKey: args.managementApiKey ?? undefined,
            jwtSecret: args.managementApiJwtSecret ?? undefined,
            log,
            driverConfig,
          }),
        )
        .catch((err: unknown) => {
          log.error({ err, port }, 'management api could not start; the driver keeps serving')
          return null
        })
    })
  }
  return {
    close: async () => {
      const api = await started
      await api?.close()
    },
  }
}
