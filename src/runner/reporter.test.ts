import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'

import { Reporter } from './reporter.js'
import type { ServingRecord } from './reporter.js'

function capture() {
  const out = new PassThrough()
  const err = new PassThrough()
  const text = { out: '', err: '' }
  out.on('data', (c: Buffer) => (text.out += c.toString()))
  err.on('data', (c: Buffer) => (text.err += c.toString()))
  return { out, err, text }
}

const SERVING: ServingRecord = {
  jobId: 'web',
  groupName: 'g',
  allocId: 'a1',
  taskName: 'site',
  taskId: 'a1/site/0badc0de',
  urls: [{ url: 'http://127.0.0.1:23456/', port: 23456, hostname: null }],
  allocDir: '/w/allocs/a1',
  isReady: true,
  logs: { stdout: '/w/o', stderr: '/w/e' },
}

test('in JSON mode stdout carries one JSON object per line and notes go to stderr', () => {
  const { out, err, text } = capture()
  const reporter = new Reporter(out, err, true)

  reporter.note('hello people')
  reporter.serving(SERVING)
  reporter.exited({
    allocId: 'a1',
    taskName: 'site',
    exitCode: 0,
    signal: 0,
    err: '',
    lastUsage: null,
  })

  const lines = text.out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.deepEqual(
    lines.map((l) => l.event),
    ['serving', 'exited'],
  )
  assert.deepEqual(lines[0].urls, ['http://127.0.0.1:23456/'])
  assert.equal(lines[0].allocId, 'a1')
  assert.equal(text.err, 'hello people\n')
})

test('for people each task shows its alloc id, name and URLs', () => {
  const { out, err, text } = capture()
  const reporter = new Reporter(out, err, false)

  reporter.serving(SERVING)
  reporter.exited({
    allocId: 'a1',
    taskName: 'site',
    exitCode: 3,
    signal: 0,
    err: 'boom',
    lastUsage: null,
  })

  assert.equal(
    text.out,
    'alloc a1  task "site"  serving\n  http://127.0.0.1:23456/\ntask "site" ended (exit code 3): boom\n',
  )
})
