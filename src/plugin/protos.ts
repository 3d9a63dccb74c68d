/**
 * Loads the plugin protocol's service definitions from proto/ for the
 * server side, with the options every handler relies on: field names as in
 * the .proto files, enums as names, 64-bit integers as numbers.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type * as grpc from '@grpc/grpc-js'
import { loadSync } from '@grpc/proto-loader'

export interface ServiceDefinitions {
  BasePlugin: grpc.ServiceDefinition
  Driver: grpc.ServiceDefinition
  GRPCController: grpc.ServiceDefinition
  GRPCStdio: grpc.ServiceDefinition
  GRPCBroker: grpc.ServiceDefinition
  Health: grpc.ServiceDefinition
}

const FILES = ['base.proto', 'driver.proto', 'go-plugin.proto', 'health.proto']

/** Loads the services once per process. */
export function loadServiceDefinitions(): ServiceDefinitions {
  const definition = loadSync(FILES, {
    includeDirs: [packagePath('proto')],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  })
  const service = (name: string) => definition[name] as unknown as grpc.ServiceDefinition
  return {
    BasePlugin: service('hashicorp.nomad.plugins.base.proto.BasePlugin'),
    Driver: service('hashicorp.nomad.plugins.drivers.proto.Driver'),
    GRPCController: service('plugin.GRPCController'),
    GRPCStdio: service('plugin.GRPCStdio'),
    GRPCBroker: service('plugin.GRPCBroker'),
    Health: service('grpc.health.v1.Health'),
  }
}

/** Our own version, from package.json (PluginInfo.plugin_version). */
export function readPackageVersion(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }
  return pkg.version
}

/** A path at the package root, from src/plugin or dist/src/plugin. */
function packagePath(name: string): string {
  for (const relative of ['../../', '../../../']) {
    const path = fileURLToPath(new URL(relative + name, import.meta.url))
    if (existsSync(path)) return path
  }
  throw new Error(`cannot find ${name} at the package root`)
}
