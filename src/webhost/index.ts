/**
 * The web host's public surface: the site model, the control protocol and
 * the client that starts and drives site host processes.
 *
 * @module
 */
export type * from './site-definition.js'
export type * from './control-protocol.js'
export { POOL_DEFAULTS } from './site-definition.js'
export { startSiteHost, SiteHostClient } from './site-host-client.js'
export type { StartSiteHostOptions, StartedSiteHost } from './site-host-client.js'
export { readRegistry, readExitRecord, isProcessAlive } from './registry.js'
export type { RegistryEntry } from './registry.js'
export { WebhostError } from './errors.js'
export type { WebhostErrorCode } from './errors.js'
export { controlSocketPath } from './state-paths.js'
