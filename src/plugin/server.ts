/**
 * The plugin's gRPC server: every service on one server, bound to a fresh
 * unix socket in the OS temp dir; the go-plugin handshake line is printed
 * only once the socket accepts connections (pitfall 2), and it is the only
 * thing this process ever writes to stdout (pitfall 1).
 *
 * `servePlugin(options): Promise<RunningPlugin>` starts it;
 * `RunningPlugin.closed` resolves when a shutdown finished (controller
 * Shutdown, SIGTERM or `close()`); tasks keep running throughout.
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import type { DriverApi } from '../driver/types.js'
import { createBaseService, PluginConfigState } from './base-service.js'
import { createDriverService } from './driver-service.js'
import type { Logger } from './hclog.js'
import { loadServiceDefinitions } from './protos.js'
import {
  createBrokerService,
  createControllerService,
  createHealthService,
  createStdioService,
} from './side-services.js'

export interface ServeOptions {
  driver: DriverApi
  log: Logger
  version: string
  /** Writes the handshake line; defaults to process.stdout. */
  writeHandshake?: (line: string) => void
  /** Runs after the server stopped, before `closed` resolves. */
  onClose?: () => Promise<void>
}

export interface RunningPlugin {
  socketPath: string
  handshake: string
  state: PluginConfigState
  closed: Promise<void>
  close(): Promise<void>
}

const MAX_MESSAGE_BYTES = 2 ** 31 - 1

/** Starts serving and prints the handshake. */
export async function servePlugin(options: ServeOptions): Promise<RunningPlugin> {
  const definitions = loadServiceDefinitions()
  const state = new PluginConfigState()
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  })
  let closing: Promise<void> | undefined
  let resolveClosed: () => void = () => undefined
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve))
  const socketPath = join(tmpdir(), `plugin${randomBytes(6).toString('hex')}`)
  const close = () => {
    closing ??= shutdown(server, socketPath, options).then(resolveClosed)
    return closing
  }
  const deps = { driver: options.driver, state, version: options.version, log: options.log }
  server.addService(definitions.BasePlugin, createBaseService(deps))
  server.addService(definitions.Driver, createDriverService(deps))
  server.addService(
    definitions.GRPCController,
    createControllerService(() => void close()),
  )
  server.addService(definitions.GRPCStdio, createStdioService())
  server.addService(definitions.GRPCBroker, createBrokerService())
  server.addService(definitions.Health, createHealthService())
  await bind(server, socketPath)
  const handshake = `1|2|unix|${socketPath}|grpc|`
  ;(options.writeHandshake ?? writeStdout)(`${handshake}\n`)
  options.log.info({ address: socketPath, version: options.version }, 'plugin serving')
  return { socketPath, handshake, state, closed, close }
}

function bind(server: grpc.Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err === null ? resolve() : reject(err),
    )
  })
}

async function shutdown(server: grpc.Server, socketPath: string, options: ServeOptions) {
  options.log.info({}, 'plugin shutting down; tasks keep running')
  await new Promise<void>((resolve) => {
    // open streams (fingerprint, events, wait) would hold a graceful stop forever
    const timer = setTimeout(() => {
      server.forceShutdown()
      resolve()
    }, 500)
    server.tryShutdown(() => {
      clearTimeout(timer)
      resolve()
    })
  })
  rmSync(socketPath, { force: true })
  await options.onClose?.()
}

function writeStdout(line: string): void {
  try {
    process.stdout.write(line)
  } catch {
    // EPIPE: the client is gone; it will reattach or start a new plugin
  }
}
