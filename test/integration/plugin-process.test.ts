/**
 * The process contract of plugin mode, exercised as a Nomad client does:
 * cookie, handshake, stdout discipline, hclog stderr, signals, EPIPE and
 * the controller's shutdown (reference section 1, pitfalls 1, 2, 12-15, 25).
 */
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import { existsSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { test } from 'node:test'
import { status } from '@grpc/grpc-js'
import {
  connectPlugin,
  isGoLogTimestamp,
  launchPlugin,
  MAGIC_COOKIE_KEY,
  MAGIC_COOKIE_VALUE,
  parseHandshake,
  parseLogLine,
} from '../../src/runner/plugin-client.js'
import {
  killPlugin,
  MAIN_JS,
  recordingLogger,
  startHarness,
  take,
  waitFor,
} from './plugin-harness.js'
import type { LogRecord } from './plugin-harness.js'

function spawnPlugin(env: NodeJS.ProcessEnv, args: string[] = []) {
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    env: { ...process.env, PLUGIN_PROTOCOL_VERSIONS: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, exited, stdout: () => stdout, stderr: () => stderr }
}

test('started without the cookie the executable explains itself on stderr and exits non-zero', async () => {
  const env = { ...process.env }
  delete env[MAGIC_COOKIE_KEY]

  const run = spawnPlugin(env, ['plugin'])
  const exit = await run.exited

  assert.notEqual(exit.code, 0)
  assert.equal(run.stdout(), '')
  assert.match(run.stderr(), /for Nomad only/)
})

test('a wrong cookie is not taken as Nomad: the launch fails before any handshake', async () => {
  await assert.rejects(
    launchPlugin({
      executable: process.execPath,
      args: [MAIN_JS],
      log: recordingLogger([]),
      cookie: 'not-the-cookie',
    }),
    /plugin exited before we could connect/,
  )
})

test('the handshake is the only stdout output and names a socket that already listens', async (t) => {
  const run = spawnPlugin({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE })
  t.after(() => run.child.kill('SIGKILL'))
  await waitFor(() => run.stdout().includes('\n'))

  const handshake = parseHandshake(run.stdout().split('\n')[0])
  const isSocket = statSync(handshake.address).isSocket()
  const didConnect = await new Promise<boolean>((resolve) => {
    const socket = connect(handshake.address, () => {
      socket.destroy()
      resolve(true)
    })
    socket.on('error', () => resolve(false))
  })
  const client = connectPlugin(handshake, recordingLogger([]))
  await client.pluginInfo()
  await client.controllerShutdown()
  const exit = await run.exited

  assert.equal(run.stdout(), `1|2|unix|${handshake.address}|grpc|\n`)
  assert.equal(isSocket, true)
  assert.equal(didConnect, true)
  assert.deepEqual(exit, { code: 0, signal: null })
})

test('controller Shutdown makes the plugin exit by itself and remove its socket', async (t) => {
  const client = await launchPlugin({
    executable: process.execPath,
    args: [MAIN_JS],
    log: recordingLogger([]),
  })
  t.after(() => killPlugin(client))

  await client.controllerShutdown()
  const exit = await client.exited

  assert.deepEqual(exit, { code: 0, signal: null })
  assert.throws(() => statSync(client.handshake.address), /ENOENT/)
})

test('every stderr line is an hclog entry with a six-digit timestamp and a known level', async (t) => {
  const run = spawnPlugin({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE })
  t.after(() => run.child.kill('SIGKILL'))
  await waitFor(() => run.stdout().includes('\n'))
  const client = connectPlugin(parseHandshake(run.stdout()), recordingLogger([]))
  await client.setConfig(Buffer.from([0x81, 0xa3, 0x66, 0x6f, 0x6f, 0xc0])).catch(() => undefined)
  await client.controllerShutdown()
  await run.exited

  const lines = run.stderr().trimEnd().split('\n')

  assert.ok(lines.length >= 2)
  for (const line of lines) {
    const entry = parseLogLine(line)
    assert.ok(entry !== null, `not an hclog line: ${line}`)
    assert.equal(typeof entry['@message'], 'string')
    assert.ok(isGoLogTimestamp(entry['@timestamp']), `bad timestamp in ${line}`)
  }
})

test('SIGINT is ignored: the plugin keeps serving until the client shuts it down', async (t) => {
  const logs: LogRecord[] = []
  const client = await launchPlugin({
    executable: process.execPath,
    args: [MAIN_JS],
    log: recordingLogger(logs),
  })
  t.after(() => killPlugin(client))

  process.kill(client.pid!, 'SIGINT')
  await waitFor(() => logs.some((r) => /ignoring SIGINT/.test(r.message ?? '')))
  const info = await client.pluginInfo()

  assert.equal(info.name, 'iis')
})

test('a plugin whose stderr reader is gone (EPIPE) keeps serving', async (t) => {
  const run = spawnPlugin({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE })
  t.after(() => run.child.kill('SIGKILL'))
  await waitFor(() => run.stdout().includes('\n'))
  const handshake = parseHandshake(run.stdout())
  t.after(() => rmSync(handshake.address, { force: true }))
  const client = connectPlugin(handshake, recordingLogger([]))
  t.after(() => client.close())

  run.child.stderr.destroy()
  run.child.stdout.destroy()
  for (let i = 0; i < 20; i += 1) {
    // each failed SetConfig writes an error line into the broken pipe
    await client.setConfig(Buffer.from([0xc1])).catch(() => undefined)
  }
  const info = await client.pluginInfo()

  assert.equal(info.name, 'iis')
  assert.equal(run.child.exitCode, null)
})

test('health reports SERVING for "plugin" and stdio and broker streams stay open', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())

  const health = await harness.client.healthCheck('plugin')
  const stdio = harness.client.streamStdio()
  let stdioError: { code?: number } | undefined
  let stdioData = 0
  stdio.on('data', () => (stdioData += 1))
  stdio.on('error', (err: { code?: number }) => (stdioError = err))
  await harness.client.pluginInfo()
  stdio.cancel()
  await waitFor(() => stdioError !== undefined)

  assert.equal(health, 'SERVING')
  assert.equal(stdioData, 0)
  assert.equal(stdioError?.code, status.CANCELLED)
})

test('PluginInfo names a driver called iis with API version 0.1.0 and a valid version', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())

  const info = await harness.client.pluginInfo()

  assert.equal(info.type, 'DRIVER')
  assert.equal(info.name, 'iis')
  assert.ok((info.plugin_api_versions as string[]).includes('0.1.0'))
  assert.match(info.plugin_version as string, /^\d+\.\d+\.\d+(-[\w.]+)?$/)
})

test('Driver.Shutdown answers without ending the plugin, and Init is accepted', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())

  await harness.client.driverShutdown()
  await harness.client.init()
  const events = await take(harness.client.fingerprint(), 1)

  assert.equal(events.messages.length, 1)
})

test('handshakes Nomad would reject are rejected by the harness client too', () => {
  const bad = [
    '1|2|unix|/tmp/x',
    '1|2|unix|/tmp/x|netrpc',
    '1|1|unix|/tmp/x|grpc',
    '2|2|unix|/tmp/x|grpc',
    '1|2|tcp|localhost|grpc',
    '1|2|udp|/tmp/x|grpc',
    '1|2|unix|/tmp/x|grpc||true',
    'hello',
  ]

  for (const line of bad) {
    assert.throws(() => parseHandshake(line), { code: 'ERR_RUNNER_PLUGIN' }, line)
  }
  assert.equal(parseHandshake('1|2|tcp|127.0.0.1:10000|grpc\r\n').address, '127.0.0.1:10000')
})

test('two plugins on one host listen on different sockets, each owned by the launched pid', async (t) => {
  const launch = () =>
    launchPlugin({
      executable: process.execPath,
      args: [MAIN_JS],
      log: recordingLogger([]),
      cwd: '/',
    })
  const first = await launch()
  t.after(() => killPlugin(first))
  const second = await launch()
  t.after(() => killPlugin(second))

  const [a, b] = await Promise.all([first.pluginInfo(), second.pluginInfo()])
  await first.kill()
  const refused = await new Promise<boolean>((resolve) => {
    const socket = connect(first.handshake.address, () => {
      socket.destroy()
      resolve(false)
    })
    socket.on('error', () => resolve(true))
  })

  assert.equal(a.name, 'iis')
  assert.equal(b.name, 'iis')
  assert.notEqual(first.handshake.address, second.handshake.address)
  assert.equal(refused, true)
  assert.equal((await second.pluginInfo()).name, 'iis')
})

test('a plugin killed with SIGKILL leaves no socket file: its launcher removes it', async () => {
  const client = await launchPlugin({
    executable: process.execPath,
    args: [MAIN_JS],
    log: recordingLogger([]),
    cwd: '/',
  })
  const socketPath = client.handshake.address
  const wasThere = statSync(socketPath).isSocket()

  process.kill(client.pid!, 'SIGKILL')
  await client.exited
  await waitFor(() => !existsSync(socketPath), 5_000)
  client.close()

  assert.equal(wasThere, true)
  assert.equal(existsSync(socketPath), false)
})
