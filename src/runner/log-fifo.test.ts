import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { LogFifo } from './log-fifo.js'

async function waitForContent(path: string, expected: string): Promise<string> {
  let content = ''
  // A bounded poll: the copy is asynchronous and has no event of its own.
  for (let i = 0; i < 500 && content !== expected; i++) {
    content = await readFile(path, 'utf8').catch(() => '')
    if (content !== expected) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return content
}

test('what writers put in the FIFO lands in <task>.stdout.0, across writer restarts', async (t) => {
  const logs = await mkdtemp(join(tmpdir(), 'runner-logs-'))
  t.after(() => rm(logs, { recursive: true, force: true }))
  const fifo = new LogFifo(logs, 'web', 'stdout')
  await fifo.open()
  t.after(() => fifo.close())

  execFileSync('sh', ['-c', `echo first > '${fifo.fifoPath}'`])
  execFileSync('sh', ['-c', `echo second > '${fifo.fifoPath}'`])

  assert.equal(fifo.fifoPath, join(logs, '.web.stdout.fifo'))
  assert.equal(await waitForContent(fifo.logPath, 'first\nsecond\n'), 'first\nsecond\n')
})

test('closing removes the FIFO and keeps the log file', async (t) => {
  const logs = await mkdtemp(join(tmpdir(), 'runner-logs-'))
  t.after(() => rm(logs, { recursive: true, force: true }))
  const fifo = new LogFifo(logs, 'web', 'stderr')
  await fifo.open()

  await fifo.close()
  await fifo.close()

  await assert.rejects(stat(fifo.fifoPath), { code: 'ENOENT' })
  assert.ok((await stat(fifo.logPath)).isFile())
})

test('a log file that cannot be created fails the open instead of crashing later', async (t) => {
  const logs = await mkdtemp(join(tmpdir(), 'runner-logs-'))
  t.after(() => rm(logs, { recursive: true, force: true }))
  const fifo = new LogFifo(join(logs, 'missing-dir'), 'web', 'stdout')

  await assert.rejects(fifo.open(), { code: 'ENOENT' })

  await assert.rejects(stat(fifo.fifoPath), { code: 'ENOENT' })
})
