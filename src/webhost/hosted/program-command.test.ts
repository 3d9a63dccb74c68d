import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { test } from 'node:test'
import { isHostedError } from './errors.js'
import { checkProgramCommand } from './program-command.js'
import type { HostedProgramDefinition } from '../site-definition.js'
import type { TestContext } from 'node:test'

function program(command: string, workingDirectory: string): HostedProgramDefinition {
  return { command, args: [], portEnv: 'PORT', env: {}, workingDirectory }
}

/** A temp folder with an executable `run`, a plain file `data` and a folder `sub`. */
function makeDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'program-command-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'run'), '#!/bin/sh\n')
  chmodSync(join(dir, 'run'), 0o755)
  writeFileSync(join(dir, 'data'), 'x')
  mkdirSync(join(dir, 'sub'))
  return dir
}

test('an executable file named by path, absolute or relative, passes', async (t) => {
  const dir = makeDir(t)

  await checkProgramCommand(program(join(dir, 'run'), '/'), {})
  await checkProgramCommand(program('./run', dir), {})
})

test('a bare name is looked up on the PATH given, not the current one', async (t) => {
  const dir = makeDir(t)
  const node = basename(process.execPath)

  await checkProgramCommand(program('run', '/'), { PATH: `/nonexistent:${dir}` })
  await checkProgramCommand(program(node, '/'), { PATH: dirname(process.execPath) })
  await assert.rejects(checkProgramCommand(program('run', '/'), { PATH: '/nonexistent' }), (err) =>
    isHostedError(err, 'ERR_HOSTED_PROGRAM_MISSING'),
  )
})

test('a missing file, a file without the execute bit and a folder are refused with what to change', async (t) => {
  const dir = makeDir(t)

  for (const command of ['./missing', './data', './sub']) {
    await assert.rejects(checkProgramCommand(program(command, dir), {}), (err) => {
      assert.ok(isHostedError(err, 'ERR_HOSTED_PROGRAM_MISSING'))
      assert.match(err.message, /does not exist or is not an executable file; deploy it/)
      return true
    })
  }
})

test('a bare name found nowhere names the PATH searched', async () => {
  await assert.rejects(
    checkProgramCommand(program('no-such-program', '/'), { PATH: '/a:/b' }),
    /"no-such-program" was not found on PATH \(\/a:\/b\); install it/,
  )
})
