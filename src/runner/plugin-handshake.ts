/**
 * go-plugin's handshake line, validated with the rules of its Go client
 * (reference 1.4): `parseHandshake(line): Handshake`, throwing RunnerError
 * ERR_RUNNER_PLUGIN with the reason Nomad would give.
 *
 * @module
 */
import { RunnerError } from './errors.js'

export interface Handshake {
  coreVersion: number
  appVersion: number
  network: 'unix' | 'tcp'
  address: string
  protocol: 'grpc'
}

/** Validates a handshake line with go-plugin's client rules. */
export function parseHandshake(line: string): Handshake {
  const parts = line.trim().split('|')
  if (parts.length < 4) {
    throw pluginError(`unrecognized remote plugin message: '${line.trim()}'`)
  }
  const [core, app, network, address, protocol = 'netrpc', cert = ''] = parts
  if (Number(core) !== 1 || !/^\d+$/.test(core)) {
    throw pluginError(`incompatible core API version '${core}' in the handshake; expected 1`)
  }
  if (app !== '2') {
    throw pluginError(`incompatible app protocol version '${app}' in the handshake; expected 2`)
  }
  if (network !== 'unix' && network !== 'tcp') {
    throw pluginError(`unknown address type '${network}' in the handshake; expected unix or tcp`)
  }
  if (network === 'unix' && !address.startsWith('/')) {
    throw pluginError(`unix socket address '${address}' in the handshake is not absolute`)
  }
  if (network === 'tcp' && !/^[\d.]+:\d+$|^\[[\da-f:]+\]:\d+$/i.test(address)) {
    throw pluginError(`tcp address '${address}' in the handshake is not host:port`)
  }
  if (protocol !== 'grpc') {
    throw pluginError(`unsupported plugin protocol '${protocol}' in the handshake; expected grpc`)
  }
  if (parts.length > 6) {
    throw pluginError('the handshake has a multiplexing field, which Nomad never asks for')
  }
  if (cert.length > 50) {
    throw pluginError('the handshake carries a TLS certificate, but Nomad never enables AutoMTLS')
  }
  return { coreVersion: 1, appVersion: 2, network, address, protocol }
}

function pluginError(message: string): RunnerError {
  return new RunnerError('ERR_RUNNER_PLUGIN', message)
}
