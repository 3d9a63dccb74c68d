/**
 * `nomad-iis token`: prints a Management API token signed with the JWT
 * secret the plugin was started with.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { mintToken, parseExpiry } from '../management/token.js'

const USAGE = `usage: nomad-iis token --secret S [--namespace N] [--job J] [--alloc A]
                       [--capability C ...] [--expires 30d]

Prints a token for the Management API (HS256, iss NomadIIS, aud ManagementApi).
Each of --namespace, --job, --alloc and --capability may be repeated; left out,
it allows any (*). Capabilities: Status, FilesystemAccess, AppPoolLifecycle,
Screenshots, ProcDump, Debug. --expires takes s, m, h, d or w (default 30d).
The secret may also come from NOMAD_IIS_JWT_SECRET.`

export async function main(argv: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        secret: { type: 'string' },
        namespace: { type: 'string', multiple: true },
        job: { type: 'string', multiple: true },
        alloc: { type: 'string', multiple: true },
        capability: { type: 'string', multiple: true },
        expires: { type: 'string', default: '30d' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values
  } catch (err) {
    console.error(`nomad-iis token: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help === true) {
    console.log(USAGE)
    return 0
  }
  const secret = values.secret ?? process.env.NOMAD_IIS_JWT_SECRET
  if (secret === undefined || secret === '') {
    console.error(`nomad-iis token: --secret is required\n\n${USAGE}`)
    return 2
  }
  try {
    const token = await mintToken({
      secret,
      namespaces: values.namespace,
      jobNames: values.job,
      allocIds: values.alloc,
      capabilities: values.capability?.flatMap((item) => item.split(',')),
      expiresInS: parseExpiry(values.expires),
    })
    console.log(token)
    return 0
  } catch (err) {
    console.error(`nomad-iis token: ${(err as Error).message}`)
    return 2
  }
}
