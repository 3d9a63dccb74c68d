/**
 * The Fingerprint stream: the first answer at once, then one every
 * fingerprint_interval until the client cancels; the stream never ends on
 * its own (the client would reopen it in a tight loop, pitfall 8).
 * Attributes hold only stable facts (versions), never counters or times,
 * so a node update is sent only when something really changes (pitfall 9).
 *
 * @module
 */
import type * as grpc from '@grpc/grpc-js'
import type { DriverApi } from '../driver/types.js'
import type { PluginConfigState } from './base-service.js'
import { DRIVER_NAME } from './base-service.js'
import type { Message } from './convert.js'
import type { Logger } from './hclog.js'

const DEFAULT_INTERVAL_MS = 30_000

export interface FingerprintDeps {
  driver: DriverApi
  state: PluginConfigState
  version: string
  log: Logger
}

/** Serves one Fingerprint stream. */
export function serveFingerprint(
  call: grpc.ServerWritableStream<Message, Message>,
  deps: FingerprintDeps,
): void {
  let timer: NodeJS.Timeout | undefined
  let isCancelled = false
  call.on('cancelled', () => {
    isCancelled = true
    clearTimeout(timer)
  })
  const tick = async () => {
    const response = await fingerprintOnce(deps)
    if (isCancelled) return
    call.write(response)
    const interval = deps.state.config?.fingerprintIntervalMs ?? DEFAULT_INTERVAL_MS
    timer = setTimeout(() => void tick(), interval)
  }
  void tick()
}

/** One fingerprint: health from the config and the driver's own check. */
export async function fingerprintOnce(deps: FingerprintDeps): Promise<Message> {
  const attributes = {
    [`driver.${DRIVER_NAME}.version`]: { string_val: deps.version },
    [`driver.${DRIVER_NAME}.webhost.version`]: { string_val: deps.version },
    [`driver.${DRIVER_NAME}.node_version`]: { string_val: process.versions.node },
  }
  const { state } = deps
  if (state.error !== null) return health('UNHEALTHY', state.error, attributes)
  if (state.config === null) {
    return health('UNHEALTHY', 'waiting for the plugin config (SetConfig)', attributes)
  }
  if (!state.config.isEnabled) {
    return health('UNDETECTED', 'disabled in the agent config (enabled = false)', attributes)
  }
  let reason: string | null
  try {
    reason = await deps.driver.checkHealth()
  } catch (err) {
    deps.log.warn({ err }, 'driver health check failed')
    reason = `health check failed: ${err instanceof Error ? err.message : String(err)}`
  }
  if (reason !== null) return health('UNHEALTHY', reason, attributes)
  return health('HEALTHY', 'healthy', attributes)
}

function health(state: string, description: string, attributes: Message): Message {
  return { attributes, health: state, health_description: description, err: '' }
}
