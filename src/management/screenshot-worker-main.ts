/**
 * The screenshot worker: a child process of the plugin that holds the
 * warm browser, so Playwright's memory and any trouble with the browser
 * stay out of the plugin process. It takes `{ id, url, chromiumPath,
 * timeoutMs }` messages over the IPC channel and answers `{ id, png }` or
 * `{ id, error: { kind, message } }`. It exits when the channel closes.
 *
 * @module
 */
import { BrowserPool, ShotError } from './browser-pool.js'

export interface ShotRequest {
  id: number
  url: string
  chromiumPath: string
  timeoutMs: number
}

export type ShotReply =
  | { id: number; png: Uint8Array }
  | {
      id: number
      error: { kind: 'launch' | 'timeout' | 'unreachable' | 'blocked'; message: string }
    }

let pool: BrowserPool | null = null

process.on('message', (request: ShotRequest) => {
  pool ??= new BrowserPool(request.chromiumPath)
  pool.capture(request.url, request.timeoutMs).then(
    (png) => reply({ id: request.id, png }),
    (err: unknown) => {
      const kind = err instanceof ShotError ? err.kind : 'unreachable'
      reply({ id: request.id, error: { kind, message: (err as Error).message } })
    },
  )
})

process.on('disconnect', () => {
  const closing = pool?.close() ?? Promise.resolve()
  void closing.finally(() => process.exit(0))
})

function reply(message: ShotReply): void {
  if (process.connected) process.send?.(message)
}
