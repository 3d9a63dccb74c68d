/**
 * The site host's share of hosted programs: finds each application's program
 * in its web.config, runs one HostedPool per pool that has programs, and
 * takes the connections routed to a hosted application. Those connections
 * cannot be handed to a worker (the program is not ours), so the site host
 * parses their requests and proxies them; a later request on the same
 * connection for a static application goes back through the site host's
 * internal socket, as the static worker does for another pool.
 *
 * @module
 */
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { HostedError } from './errors.js'
import { HostedPool } from './hosted-pool.js'
import { checkProgramCommand } from './program-command.js'
import type { HostedApplicationDefinition, HostedPoolEvent } from './hosted-pool.js'
import { ProgramProxy } from './proxy.js'
import { forwardToSiteHost } from '../internal-hop.js'
import { answerClientError } from '../raw-response.js'
import { CLIENT_ADDRESS_HEADER } from '../site-host-messages.js'
import { readWebConfig } from './web-config.js'
import { isHostAccepted, stripPort, targetPath } from '../request-head.js'
import { Router } from '../router.js'
import { hasHiddenSegment, normalizeUrlPath } from '../url-path.js'
import type { WorkerStatus } from '../control-protocol.js'
import type { ApplicationDefinition, SiteDefinition } from '../site-definition.js'
import type { ListenerId } from '../site-host-messages.js'

/** The listener id of connections that came back through the internal socket. */
const INTERNAL_LISTENER: ListenerId = 'internal'

export interface SiteProgramsOptions {
  definition: SiteDefinition
  /** Hostnames accepted per listener; an entry of null accepts any Host. */
  hostnames: Record<ListenerId, (string | null)[]>
  internalSocketPath: string
  stdoutFd: number | null
  stderrFd: number | null
  onEvent: (event: HostedPoolEvent) => void
}

/**
 * Hosted programs of one site.
 *
 * @example
 * const programs = new SitePrograms({ definition, hostnames, internalSocketPath, ... })
 * await programs.prepare()
 * if (programs.isHostedPath(path)) programs.take(socket, listener, head)
 */
export class SitePrograms {
  #options: SiteProgramsOptions
  #router: Router
  #proxy = new ProgramProxy()
  #pools = new Map<string, HostedPool>()
  /** Why a pool cannot start (its web.config is bad); set by prepare only. */
  #poolErrors = new Map<string, HostedError>()
  #server: Server
  #listenerOf = new WeakMap<Socket, ListenerId>()

  constructor(options: SiteProgramsOptions) {
    this.#options = options
    this.#router = new Router(options.definition)
    this.#server = createServer({ keepAliveTimeout: 5000 }, (req, res) => this.#onRequest(req, res))
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    )
    this.#server.on('clientError', answerClientError)
  }

  /**
   * Reads every application's web.config and sets `program` on the
   * definition's applications in place, so that the static workers (which
   * get the definition) forward hosted requests. A bad web.config, or a job
   * `program` whose command cannot run, marks its pool as unable to start;
   * other pools are unaffected.
   */
  async prepare(): Promise<void> {
    const { definition } = this.#options
    for (const app of definition.applications) {
      if (this.#poolErrors.has(app.pool)) continue
      try {
        if (app.program !== null) {
          await checkProgramCommand(app.program, this.#envOf(app))
          continue
        }
        const found = await readWebConfig(app.physicalPath, { env: this.#envOf(app) })
        if (found === null) continue
        app.program = found.program
        for (const warning of found.warnings) this.#warn(app, warning)
      } catch (err) {
        this.#poolErrors.set(app.pool, poolErrorOf(app, err))
      }
    }
    for (const pool of definition.pools) {
      if (this.#poolErrors.has(pool.key)) {
        // The pool will not start: none of its applications is proxied.
        for (const app of definition.applications) if (app.pool === pool.key) app.program = null
        continue
      }
      const apps = definition.applications.filter(
        (a): a is HostedApplicationDefinition => a.pool === pool.key && a.program !== null,
      )
      if (apps.length === 0) continue
      this.#pools.set(pool.key, this.#createPool(pool.key, apps))
    }
  }

  /** Why the pool cannot start, or null. */
  poolError(key: string): HostedError | null {
    return this.#poolErrors.get(key) ?? null
  }

  /** Whether a pool has applications for its static worker. */
  hasStaticApplications(key: string): boolean {
    return this.#options.definition.applications.some((a) => a.pool === key && a.program === null)
  }

  /** True when the application this decoded path routes to is a hosted program. */
  isHostedPath(path: string): boolean {
    const route = this.#router.route(path)
    return route !== null && route.application.program !== null && this.#pools.has(route.pool)
  }

  /** Takes a connection whose first request is for a hosted application. */
  take(socket: Socket, listener: ListenerId, head: Buffer): void {
    this.#listenerOf.set(socket, listener)
    if (head.length > 0) socket.unshift(head)
    this.#server.emit('connection', socket)
    socket.resume()
  }

  async start(key: string): Promise<void> {
    await this.#pools.get(key)?.start()
  }

  async stop(key: string, timeoutMs?: number): Promise<void> {
    await this.#pools.get(key)?.stop(timeoutMs)
  }

  async recycle(key: string): Promise<void> {
    await this.#pools.get(key)?.recycle()
  }

  workers(key: string): WorkerStatus[] {
    return this.#pools.get(key)?.status().workers ?? []
  }

  /** The pool's bad web.config, or why its programs stopped (rapid-fail). */
  lastError(key: string): string | null {
    return this.#poolErrors.get(key)?.message ?? this.#pools.get(key)?.status().lastError ?? null
  }

  /** Kills every program and closes the connections this site host parses. */
  async destroy(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.destroy()))
    await this.#proxy.destroy()
    this.#server.closeAllConnections()
  }

  #createPool(key: string, applications: HostedApplicationDefinition[]): HostedPool {
    const definition = this.#options.definition.pools.find((p) => p.key === key)!
    const { stdoutFd, stderrFd } = this.#options
    return new HostedPool({
      definition,
      applications,
      proxy: this.#proxy,
      stdio: ['ignore', stdoutFd ?? 'ignore', stderrFd ?? 'ignore'],
      onEvent: this.#options.onEvent,
    })
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const listener = this.#listenerOf.get(req.socket) ?? INTERNAL_LISTENER
    trustClientAddress(req, listener)
    const host = req.headers.host === undefined ? null : stripPort(req.headers.host.toLowerCase())
    if (
      listener !== INTERNAL_LISTENER &&
      !isHostAccepted(host, this.#options.hostnames[listener] ?? [null])
    ) {
      sendText(res, 400, 'Bad Request - Invalid Hostname')
      return
    }
    const normalized = normalizeUrlPath(targetPath(req.url ?? '/'))
    if (!normalized.ok) {
      sendText(res, 400, 'Bad Request')
      return
    }
    // IIS's request filtering runs before the ASP.NET Core Module: hidden segments stay hidden.
    const route = hasHiddenSegment(normalized.path) ? null : this.#router.route(normalized.path)
    if (route === null) {
      sendText(res, 404, 'Not Found')
      return
    }
    const pool = this.#pools.get(route.pool)
    if (route.application.program === null || pool === undefined) {
      // A request from the internal socket already names its (trusted) client.
      const carried = req.headers[CLIENT_ADDRESS_HEADER]
      const client = req.socket.remoteAddress ?? (typeof carried === 'string' ? carried : undefined)
      forwardToSiteHost(req, res, this.#options.internalSocketPath, client)
      return
    }
    pool.handle(req, res, route.application.alias)
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    trustClientAddress(req, this.#listenerOf.get(req.socket) ?? INTERNAL_LISTENER)
    const normalized = normalizeUrlPath(targetPath(req.url ?? '/'))
    const route = normalized.ok ? this.#router.route(normalized.path) : null
    const pool = route === null ? undefined : this.#pools.get(route.pool)
    if (route === null || pool === undefined || route.application.program === null) {
      socket.destroy()
      return
    }
    pool.upgrade(req, socket, head, route.application.alias)
  }

  /** Programs see the task's environment; PATH falls back to the site host's own. */
  #envOf(app: ApplicationDefinition): Record<string, string | undefined> {
    const pool = this.#options.definition.pools.find((p) => p.key === app.pool)
    return { PATH: process.env.PATH, ...pool?.env }
  }

  #warn(app: ApplicationDefinition, message: string): void {
    this.#options.onEvent({
      kind: 'warning',
      pool: app.pool,
      message,
      details: { application: app.alias },
    })
  }
}

/** The error a bad web.config gives its pool, keeping the web.config error's code. */
function poolErrorOf(app: ApplicationDefinition, err: unknown): HostedError {
  const message = `application ${app.alias}: ${(err as Error).message}`
  if (err instanceof HostedError) return new HostedError(err.code, message, { cause: err })
  return new HostedError('ERR_HOSTED_PROGRAM_MISSING', message, { cause: err })
}

/**
 * Only a request from the internal socket may name its client: a client's
 * own copy of the private field is dropped.
 */
function trustClientAddress(req: IncomingMessage, listener: ListenerId): void {
  if (listener !== INTERNAL_LISTENER) delete req.headers[CLIENT_ADDRESS_HEADER]
}

function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length + 1,
  })
  res.end(`${body}\n`)
}
