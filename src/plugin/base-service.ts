/**
 * BasePlugin: who we are, the agent config schema, and SetConfig. A config
 * that fails validation makes SetConfig fail with the reason and is kept
 * so Fingerprint reports the driver unhealthy with the same reason.
 *
 * @module
 */
import type * as grpc from '@grpc/grpc-js'
import { DRIVER_CONFIG_SPEC, parseDriverConfig } from '../driver/config.js'
import type { DriverApi, DriverConfig } from '../driver/types.js'
import type { Message } from './convert.js'
import { toServiceError } from './errors.js'
import type { Logger } from './hclog.js'
import { decodeMsgpackConfig } from './msgpack-config.js'

/** The driver name jobs use: `driver = "iis"`. */
export const DRIVER_NAME = 'iis'

/** Nomad's only plugin API version; the client needs one equal to 0.1.0. */
export const PLUGIN_API_VERSIONS = ['0.1.0']

export type ConfigListener = (config: DriverConfig, isLongLived: boolean) => void

/** What SetConfig learned, shared with Fingerprint and the Management API. */
export class PluginConfigState {
  config: DriverConfig | null = null
  error: string | null = null
  #listeners = new Set<ConfigListener>()

  /** `isLongLived` is false in the agent's validation launch (no nomad_config). */
  onConfig(listener: ConfigListener): void {
    this.#listeners.add(listener)
  }

  set(config: DriverConfig, isLongLived: boolean): void {
    this.config = config
    this.error = null
    for (const listener of this.#listeners) listener(config, isLongLived)
  }
}

export interface BaseServiceDeps {
  driver: DriverApi
  state: PluginConfigState
  version: string
  log: Logger
}

type Unary = (call: grpc.ServerUnaryCall<Message, Message>, cb: grpc.sendUnaryData<Message>) => void

/** The BasePlugin handlers. */
export function createBaseService(deps: BaseServiceDeps): Record<string, Unary> {
  return {
    PluginInfo: (_call, cb) => {
      cb(null, {
        type: 'DRIVER',
        plugin_api_versions: PLUGIN_API_VERSIONS,
        plugin_version: deps.version,
        name: DRIVER_NAME,
      })
    },
    ConfigSchema: (_call, cb) => cb(null, { spec: DRIVER_CONFIG_SPEC }),
    SetConfig: (call, cb) => {
      try {
        const bytes = (call.request.msgpack_config ?? Buffer.alloc(0)) as Uint8Array
        const config = parseDriverConfig(decodeMsgpackConfig(bytes, 'the plugin config'))
        const isLongLived = call.request.nomad_config !== null
        deps.driver.setConfig(config)
        deps.state.set(config, isLongLived)
        deps.log.info(
          { is_validation: !isLongLived, enabled: config.isEnabled },
          'plugin config set',
        )
        cb(null, {})
      } catch (err) {
        const failure = toServiceError(err)
        deps.state.error = `invalid plugin config: ${failure.details ?? ''}`
        deps.log.error({ err }, 'plugin config rejected')
        cb(failure, null)
      }
    },
  }
}
