/**
 * The driver core's public surface for plugin/, management/ and cli/.
 *
 * @module
 */
export type * from './types.js'
export { Driver, DRIVER_NAME } from './driver.js'
export type { DriverOptions } from './driver.js'
export {
  TASK_CONFIG_SPEC,
  DRIVER_CONFIG_SPEC,
  parseTaskConfig,
  parseDriverConfig,
  DEFAULT_POOL_NAME,
  MAX_POOL_NAME_LENGTH,
} from './config.js'
export type { TaskSettings, TaskConfigContext } from './config.js'
export { TASK_CONFIG_DEF, DRIVER_CONFIG_DEF } from './config-schema.js'
export type { HclSpec } from './hcl-spec.js'
export { DriverError, isDriverError, INVALID_INPUT_CODES } from './errors.js'
export type { DriverErrorCode } from './errors.js'
export { DRIVER_STATE_VERSION } from './driver-state.js'
export { parseDuration } from './duration.js'
export { buildSiteName, buildPoolName, NAME_PREFIX } from './names.js'
export { SILENT_LOGGER } from './logger.js'
export type { DriverLogger } from './logger.js'
