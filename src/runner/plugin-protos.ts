/**
 * Loads the plugin protocol's service definitions from proto/ for the
 * client side: `loadPluginProtos()` returns one constructor per service.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'

export interface PluginProtos {
  BasePlugin: grpc.ServiceClientConstructor
  Driver: grpc.ServiceClientConstructor
  GRPCController: grpc.ServiceClientConstructor
  GRPCStdio: grpc.ServiceClientConstructor
  Health: grpc.ServiceClientConstructor
}

const FILES = ['base.proto', 'driver.proto', 'go-plugin.proto', 'health.proto']

let cached: PluginProtos | undefined

/** The services' client constructors, loaded once. */
export function loadPluginProtos(): PluginProtos {
  if (cached !== undefined) return cached
  const definition = loadSync(FILES, {
    includeDirs: [protoDir()],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  })
  const root = grpc.loadPackageDefinition(definition) as unknown as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
  cached = {
    BasePlugin: root.hashicorp.nomad.plugins.base.proto.BasePlugin,
    Driver: root.hashicorp.nomad.plugins.drivers.proto.Driver,
    GRPCController: root.plugin.GRPCController,
    GRPCStdio: root.plugin.GRPCStdio,
    Health: root.grpc.health.v1.Health,
  }
  return cached
}

/** proto/ at the package root, from src/runner or dist/src/runner. */
function protoDir(): string {
  for (const relative of ['../../proto', '../../../proto']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(`${dir}/driver.proto`)) return dir
  }
  throw new Error('cannot find the proto/ directory next to the installed package')
}
