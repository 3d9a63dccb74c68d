/**
 * The Management API server: Fastify on its own port inside the plugin
 * process, every route under /api/v1, every error as problem+json.
 *
 * @example
 * const api = await startManagementApi({ driver, port: 5004, apiKey: '12345', log, driverConfig })
 * // ... later
 * await api.close()
 *
 * @module
 */
import Fastify from 'fastify'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { DriverApi, DriverConfig } from '../driver/types.js'
import type { ApiContext } from './api-context.js'
import { AccessLog } from './access-log.js'
import { Authenticator } from './auth.js'
import { registerBodyHandling } from './body-parsing.js'
import { registerDebugRoute } from './debug-route.js'
import { ManagementError } from './errors.js'
import { registerFsRoutes } from './fs-routes.js'
import { registerLifecycleRoutes } from './lifecycle-routes.js'
import { resolveLimits } from './limits.js'
import type { ManagementLimits } from './limits.js'
import { handleError, sendProblem } from './problem.js'
import { ProcdumpService } from './procdump-service.js'
import { ScreenshotService } from './screenshot-service.js'
import { TaskQueue } from './task-queue.js'
import { registerToolRoutes } from './tool-routes.js'

/** JSON bodies (none of ours needs more); uploads stream and have their own limit. */
const JSON_BODY_LIMIT_BYTES = 1024 * 1024

export interface ManagementApiOptions {
  driver: DriverApi
  /** TCP port; 0 picks a free one. */
  port: number
  /** Where to listen. Default: 127.0.0.1 when the API is open, all interfaces otherwise. */
  address?: string | null
  /** Grants everything when sent as `X-Api-Key`. Null or empty: none. */
  apiKey?: string | null
  /** HS256 secret for Bearer tokens. Null or empty: none. */
  jwtSecret?: string | null
  log: Logger | FastifyBaseLogger
  driverConfig: DriverConfig
  /** Overrides of the defaults in limits.ts (ours). */
  limits?: Partial<ManagementLimits>
}

export interface ManagementApi {
  address: string
  port: number
  /** Stops listening, closes the warm browser. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts the API and resolves once it listens.
 *
 * @throws TypeError for a bad option; the listen error when the port is taken
 */
export async function startManagementApi(options: ManagementApiOptions): Promise<ManagementApi> {
  checkOptions(options)
  const log = (options.log as FastifyBaseLogger).child({ component: 'management-api' })
  const auth = new Authenticator({ apiKey: options.apiKey, jwtSecret: options.jwtSecret })
  const ctx = buildContext(options, auth, log)
  const app = buildApp(ctx, log)

  const host = options.address || (auth.isOpen ? '127.0.0.1' : '0.0.0.0')
  if (auth.isOpen) {
    log.warn(
      { host },
      'management api is open: set --management-api-key or --management-api-jwt-secret',
    )
  }
  await app.listen({ port: options.port, host })
  const bound = app.server.address()
  const port = typeof bound === 'object' && bound !== null ? bound.port : options.port
  log.info({ host, port }, 'management api listening')

  let closing: Promise<void> | null = null
  return {
    address: host,
    port,
    close: () =>
      (closing ??= Promise.all([app.close(), ctx.screenshots.close()]).then(() => undefined)),
  }
}

function buildContext(
  options: ManagementApiOptions,
  auth: Authenticator,
  log: FastifyBaseLogger,
): ApiContext {
  const fromConfig = (
    options.driverConfig as unknown as { managementApi?: Partial<ManagementLimits> }
  ).managementApi
  const limits = resolveLimits(fromConfig, options.limits)
  // The plugin may start the API before Nomad's SetConfig arrives: read the
  // driver's current config when it exposes one, per request.
  const currentConfig = (): DriverConfig =>
    (options.driver as { config?: DriverConfig }).config ?? options.driverConfig
  return {
    driver: options.driver,
    driverConfig: options.driverConfig,
    auth,
    limits,
    log,
    uploads: new TaskQueue(),
    screenshots: new ScreenshotService({
      chromiumPath: () => currentConfig().chromiumPath,
      timeoutMs: limits.screenshotTimeoutMs,
      concurrency: limits.screenshotConcurrency,
      log,
    }),
    procdump: new ProcdumpService(() => ({
      binaryPath: currentConfig().procdump.binaryPath,
      acceptEula: currentConfig().procdump.acceptEula,
      timeoutMs: limits.procdumpTimeoutMs,
    })),
  }
}

function buildApp(ctx: ApiContext, log: FastifyBaseLogger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log,
    logController: new AccessLog(),
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    exposeHeadRoutes: false,
    // fs paths are one wildcard parameter; deep trees make long ones.
    routerOptions: { maxParamLength: 4096 },
    // Uploads of several GiB may take long; a stalled client is caught by the socket.
    requestTimeout: 0,
    frameworkErrors: (err, _request, reply) => {
      const detail = `the request URL is malformed (${err.message}): fix its percent-encoding`
      void sendProblem(reply, new ManagementError('ERR_MANAGEMENT_BAD_REQUEST', 400, detail))
    },
  })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(function notFound(request, reply) {
    const detail = `no endpoint ${request.method} ${request.url.split('?')[0]}: see the API reference`
    void sendProblem(reply, new ManagementError('ERR_MANAGEMENT_ROUTE_NOT_FOUND', 404, detail))
  })
  registerBodyHandling(app)
  registerLifecycleRoutes(app, ctx)
  registerFsRoutes(app, ctx)
  registerToolRoutes(app, ctx)
  registerDebugRoute(app, ctx)
  return app
}

function checkOptions(options: ManagementApiOptions): void {
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new TypeError(`option port must be an integer from 0 to 65535, got ${options.port}`)
  }
  if (options.driver === undefined || options.driverConfig === undefined) {
    throw new TypeError('options driver and driverConfig are required')
  }
}
