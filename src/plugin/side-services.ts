/**
 * go-plugin's side services and gRPC health, registered next to BasePlugin
 * and Driver as Go plugins do (pitfall 25): the controller's Shutdown
 * replies and then lets the process exit; stdio and the broker stay open
 * and silent until the client goes away (Nomad discards their payloads);
 * health reports SERVING for "plugin" and the empty name.
 *
 * @module
 */
import type * as grpc from '@grpc/grpc-js'
import { status } from '@grpc/grpc-js'
import type { Message } from './convert.js'

const SERVING_NAMES = new Set(['', 'plugin'])

/** GRPCController; `onShutdown` runs after the reply is sent. */
export function createControllerService(onShutdown: () => void): grpc.UntypedServiceImplementation {
  return {
    Shutdown: (_call: grpc.ServerUnaryCall<Message, Message>, cb: grpc.sendUnaryData<Message>) => {
      cb(null, {})
      setImmediate(onShutdown)
    },
  }
}

export function createStdioService(): grpc.UntypedServiceImplementation {
  return {
    // Nothing is ever sent: our logs travel on stderr as hclog lines.
    StreamStdio: (call: grpc.ServerWritableStream<Message, Message>) => {
      call.on('cancelled', () => call.end())
    },
  }
}

export function createBrokerService(): grpc.UntypedServiceImplementation {
  return {
    // Nomad drivers never dial through the broker; read and drop.
    StartStream: (call: grpc.ServerDuplexStream<Message, Message>) => {
      call.on('data', () => undefined)
      call.on('end', () => call.end())
      call.on('error', () => undefined)
    },
  }
}

export function createHealthService(): grpc.UntypedServiceImplementation {
  const answer = (service: unknown) =>
    SERVING_NAMES.has(String(service ?? '')) ? 'SERVING' : 'SERVICE_UNKNOWN'
  return {
    Check: (call: grpc.ServerUnaryCall<Message, Message>, cb: grpc.sendUnaryData<Message>) => {
      const serving = answer(call.request.service)
      if (serving === 'SERVICE_UNKNOWN') {
        cb({ code: status.NOT_FOUND, details: `unknown service '${String(call.request.service)}'` })
        return
      }
      cb(null, { status: serving })
    },
    Watch: (call: grpc.ServerWritableStream<Message, Message>) => {
      call.write({ status: answer(call.request.service) })
      call.on('cancelled', () => call.end())
    },
  }
}
