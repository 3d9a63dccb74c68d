/**
 * A small process that starts a site host and then waits to be killed; the
 * web host tests kill it with SIGKILL to show the site host outlives it.
 * Reads `{ def, stateDir }` as JSON on stdin, prints the started host as one
 * JSON line.
 */
import { text } from 'node:stream/consumers'
import { startSiteHost } from '../../src/webhost/index.js'
import type { SiteDefinition } from '../../src/webhost/index.js'

const input = JSON.parse(await text(process.stdin)) as { def: SiteDefinition; stateDir: string }
const host = await startSiteHost(input.def, { stateDir: input.stateDir })
process.stdout.write(`${JSON.stringify(host)}\n`)
setInterval(() => {}, 60_000)
