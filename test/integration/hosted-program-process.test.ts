// ProgramProcess with real processes: readiness on the port, the port
// variable and %VAR% expansion, process-group stop, and start failures.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { isHostedError } from '../../src/webhost/hosted/errors.js'
import { ProgramProcess } from '../../src/webhost/hosted/program-process.js'
import type { HostedProgramDefinition } from '../../src/webhost/site-definition.js'
import { isAlive, waitFor } from '../fixtures/hosted/harness.js'

/** Listens on the port given in `portEnv` and answers with what it was told. */
const SERVER = `
const http = require('node:http')
const port = Number(process.env[process.env.PORT_NAME])
const answer = () => JSON.stringify({ argv: process.argv.slice(1), greeting: process.env.GREETING })
http.createServer((req, res) => res.end(answer())).listen(port, '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
`

function nodeProgram(
  script: string,
  portEnv: string,
  args: string[] = [],
): HostedProgramDefinition {
  return {
    command: process.execPath,
    args: ['-e', script, '--', ...args],
    portEnv,
    env: { PORT_NAME: portEnv, GREETING: 'port %' + portEnv + '%' },
    workingDirectory: process.cwd(),
  }
}

function startProgram(t: { after: (fn: () => unknown) => void }, program: HostedProgramDefinition) {
  const run = new ProgramProcess({
    program,
    env: {},
    startTimeLimitMs: 10_000,
    shutdownTimeLimitMs: 2000,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  t.after(() => run.destroy())
  return run
}

test('the program is ready once its port accepts connections and sees %VAR% expanded', async (t) => {
  const run = startProgram(
    t,
    nodeProgram(SERVER, 'HTTP_PLATFORM_PORT', ['--port', '%HTTP_PLATFORM_PORT%']),
  )

  await run.start()
  const body = await (await fetch(`http://127.0.0.1:${run.port}/`)).json()

  assert.equal(run.state, 'running')
  assert.deepEqual(body.argv, ['--port', String(run.port)])
  assert.equal(body.greeting, `port ${run.port}`)
})

test('an ASP.NET Core program gets a pairing token and its path base', async (t) => {
  const script = `
const { ASPNETCORE_TOKEN: t, ASPNETCORE_APPL_PATH: p, ASPNETCORE_PORT: port } = process.env
require('node:http').createServer((q, s) => s.end(JSON.stringify({ t, p }))).listen(Number(port), '127.0.0.1')
`
  const run = new ProgramProcess({
    program: { ...nodeProgram(script, 'ASPNETCORE_PORT'), env: {} },
    env: {},
    startTimeLimitMs: 10_000,
    shutdownTimeLimitMs: 2000,
    applicationAlias: '/shop',
  })
  t.after(() => run.destroy())

  await run.start()
  const body = await (await fetch(`http://127.0.0.1:${run.port}/`)).json()

  assert.equal(body.t, run.pairingToken)
  assert.equal(body.p, '/shop')
})

test('stop ends the whole process group, children of the program included', async (t) => {
  const script = `
const { spawn } = require('node:child_process')
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' })
require('node:http').createServer((q, s) => s.end(String(child.pid))).listen(Number(process.env.PORT), '127.0.0.1')
`
  const run = startProgram(t, nodeProgram(script, 'PORT'))
  await run.start()
  const childPid = Number(await (await fetch(`http://127.0.0.1:${run.port}/`)).text())
  const exited = once(run, 'exit')

  await run.stop()
  const [exit] = (await exited) as [{ isExpected: boolean }]
  await waitFor(() => !isAlive(childPid))

  assert.equal(exit.isExpected, true)
  assert.equal(run.state, 'exited')
})

test('a command that does not exist fails the start as a missing program', async (t) => {
  const run = startProgram(t, { ...nodeProgram(SERVER, 'PORT'), command: '/nonexistent/program' })

  await assert.rejects(run.start(), (err) => {
    return isHostedError(err, 'ERR_HOSTED_PROGRAM_MISSING') && /ENOENT/.test(err.message)
  })
})

test('a program is started once only, and stop and destroy may be repeated', async (t) => {
  const run = startProgram(t, nodeProgram(SERVER, 'PORT'))
  await run.start()

  await assert.rejects(run.start(), (err) => isHostedError(err, 'ERR_HOSTED_CLOSED'))
  await run.stop()
  await run.stop()
  await run.destroy()

  assert.equal(run.state, 'exited')
})

test('a crash is reported as an unexpected exit', async (t) => {
  const run = startProgram(t, nodeProgram(SERVER, 'PORT'))
  await run.start()
  const exited = once(run, 'exit')

  process.kill(run.pid ?? 0, 'SIGKILL')
  const [exit] = (await exited) as [{ isExpected: boolean; signal: string }]

  assert.equal(exit.isExpected, false)
  assert.equal(exit.signal, 'SIGKILL')
})
