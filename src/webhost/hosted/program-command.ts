/**
 * Checks, when the site host starts, that a job's `program` block names a
 * command that can run, as a web.config's processPath is checked: a missing
 * command stops its pool with the reason instead of failing at every start
 * until rapid-fail protection ends the task.
 *
 * @module
 */
import { access, constants, stat } from 'node:fs/promises'
import { delimiter, isAbsolute, resolve } from 'node:path'
import { HostedError } from './errors.js'
import type { HostedProgramDefinition } from '../site-definition.js'

/**
 * Resolves nothing, changes nothing: throws when the command cannot be run.
 * An absolute or relative path (relative to the working directory) must be
 * an executable file; a bare name must be one in a folder of the `PATH` the
 * program will get.
 *
 * @throws {HostedError} ERR_HOSTED_PROGRAM_MISSING
 * @example
 * await checkProgramCommand(app.program, { PATH: process.env.PATH, ...pool.env })
 */
export async function checkProgramCommand(
  program: HostedProgramDefinition,
  env: Record<string, string | undefined>,
): Promise<void> {
  const { command, workingDirectory } = program
  if (command.includes('/')) {
    const full = isAbsolute(command) ? command : resolve(workingDirectory, command)
    if (await isExecutableFile(full)) return
    throw new HostedError(
      'ERR_HOSTED_PROGRAM_MISSING',
      `program command ${full} does not exist or is not an executable file; ` +
        'deploy it, make it executable (chmod +x) or correct command',
    )
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const dir of dirs) {
    if (await isExecutableFile(resolve(dir, command))) return
  }
  throw new HostedError(
    'ERR_HOSTED_PROGRAM_MISSING',
    `program command "${command}" was not found on PATH (${dirs.join(delimiter)}); ` +
      "install it, add its folder to the pool's PATH or give its full path in command",
  )
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
