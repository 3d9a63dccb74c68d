/**
 * Task output reaches the stdout/stderr paths of the TaskConfig when they
 * are FIFOs read by another process, as Nomad's logmon reads them, and
 * keeps flowing after the plugin was killed and a new one recovered the
 * task (reference 3.4).
 */
import { strict as assert } from 'node:assert'
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Message } from '../../src/runner/plugin-client.js'
import {
  HOSTED_CONFIG,
  httpGet,
  portOf,
  startHarness,
  STATIC_CONFIG,
  waitFor,
  writeHostedProgram,
} from './plugin-harness.js'

/** A FIFO with a `cat` reading it, as logmon would; returns what was read so far. */
function fifoReader(path: string) {
  const made = spawnSync('mkfifo', [path])
  assert.equal(made.status, 0, made.stderr.toString())
  const reader = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] })
  let text = ''
  reader.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  return { text: () => text, stop: () => reader.kill('SIGKILL') }
}

test('site host output reaches FIFO log paths and keeps flowing after a plugin restart', async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const logs = join(harness.root, 'logs')
  spawnSync('mkdir', ['-p', logs])
  const stdout = fifoReader(join(logs, '.web.stdout.fifo'))
  const stderr = fifoReader(join(logs, '.web.stderr.fifo'))
  t.after(() => {
    stdout.stop()
    stderr.stop()
  })
  const task = await harness.newTask(STATIC_CONFIG, {
    stdoutPath: join(logs, '.web.stdout.fifo'),
    stderrPath: join(logs, '.web.stderr.fifo'),
  })

  const { handle } = await harness.client.startTask(task)
  harness.track(handle as Message)
  await httpGet(portOf(task), '/')
  await waitFor(() => stderr.text().length > 0)
  await harness.client.kill()
  const before = stderr.text().length
  const next = await harness.launch()
  await harness.configure(next)
  await next.recoverTask(handle as Message)
  await next.signalTask(task.id as string, 'SIGHUP')
  await waitFor(() => stderr.text().length > before)

  assert.equal((await httpGet(portOf(task), '/')).status, 200)
  assert.ok(stderr.text().length > before)
})

const PROGRAM = `
const http = require('node:http')
const port = Number(process.argv[2])
http.createServer((req, res) => {
  console.log('program saw ' + req.url)
  console.error('program stderr line')
  res.end('ok')
}).listen(port, '127.0.0.1')
`

test("a hosted program's stdout and stderr reach the FIFO log paths of the task", async (t) => {
  const harness = await startHarness()
  t.after(() => harness.cleanup())
  const logs = join(harness.root, 'logs')
  spawnSync('mkdir', ['-p', logs])
  const stdout = fifoReader(join(logs, '.web.stdout.fifo'))
  const stderr = fifoReader(join(logs, '.web.stderr.fifo'))
  t.after(() => {
    stdout.stop()
    stderr.stop()
  })
  const task = await harness.newTask(HOSTED_CONFIG, {
    stdoutPath: join(logs, '.web.stdout.fifo'),
    stderrPath: join(logs, '.web.stderr.fifo'),
  })
  writeHostedProgram(task, PROGRAM)

  const { handle } = await harness.client.startTask(task)
  harness.track(handle as Message)
  const page = await httpGet(portOf(task), '/from-the-test')
  await waitFor(() => stdout.text().includes('program saw /from-the-test'))
  await waitFor(() => stderr.text().includes('program stderr line'))

  assert.equal(page.status, 200)
})
