/**
 * Opens the site's stdout/stderr paths for the site host and its workers
 * without ever blocking: regular files are opened for append; FIFOs (what
 * Nomad gives a task) are opened write-only and non-blocking, retrying while
 * no reader has opened the other end yet.
 *
 * @module
 */
import { closeSync, constants, openSync, statSync } from 'node:fs'
import { setTimeout as delay } from 'node:timers/promises'

/** How long to wait for a FIFO's reader before running without that output. */
const FIFO_WAIT_MS = 5000
const FIFO_RETRY_MS = 50

/** A file descriptor for `path`, or null (no path, or a FIFO nobody reads). */
export async function openOutput(path: string | null): Promise<number | null> {
  if (path === null) return null
  let isFifo: boolean
  try {
    isFifo = statSync(path).isFIFO()
  } catch {
    isFifo = false
  }
  if (!isFifo) return openSync(path, 'a')
  const deadline = Date.now() + FIFO_WAIT_MS
  for (;;) {
    try {
      return openSync(path, constants.O_WRONLY | constants.O_NONBLOCK)
    } catch (err) {
      // ENXIO: no process has the FIFO open for reading yet.
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) return null
    }
    await delay(FIFO_RETRY_MS)
  }
}

export function closeOutput(fd: number | null): void {
  if (fd === null) return
  try {
    closeSync(fd)
  } catch {
    // Already closed: nothing to release.
  }
}
