import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { createHclogLogger, formatGoTimestamp } from './hclog.js'

function capture() {
  const lines: string[] = []
  const log = createHclogLogger({
    level: 'debug',
    write: (line) => lines.push(line),
    now: () => new Date('2026-01-02T03:04:05.678Z'),
  })
  return { lines, log, entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) }
}

test('a log line carries string @level, @message and a six-digit @timestamp', () => {
  const { log, entries, lines } = capture()

  log.info({ task_id: 'a/b/c' }, 'task started')

  assert.ok(lines[0].endsWith('\n'))
  assert.deepEqual(entries()[0], {
    task_id: 'a/b/c',
    '@level': 'info',
    '@message': 'task started',
    '@timestamp': '2026-01-02T03:04:05.678000Z',
  })
})

test('fatal is written as error and a missing message as an empty string', () => {
  const { log, entries } = capture()

  log.fatal({ reason: 'x' })
  log.warn('plain text')

  assert.equal(entries()[0]['@level'], 'error')
  assert.equal(entries()[0]['@message'], '')
  assert.equal(entries()[1]['@message'], 'plain text')
})

test('fields cannot overwrite the hclog keys, errors are serialised and children bind fields', () => {
  const { log, entries } = capture()

  log
    .child({ component: 'driver' })
    .error({ '@message': 42, err: Object.assign(new Error('boom'), { code: 'ERR_X' }) }, 'failed')

  const entry = entries()[0]
  assert.equal(entry['@message'], 'failed')
  assert.equal(entry.component, 'driver')
  assert.deepEqual(entry.err, { type: 'Error', message: 'boom', code: 'ERR_X' })
})

test('lines below the level are dropped', () => {
  const lines: string[] = []
  const log = createHclogLogger({ level: 'warn', write: (line) => lines.push(line) })

  log.debug({}, 'hidden')
  log.info({}, 'hidden')
  log.warn({}, 'shown')

  assert.equal(lines.length, 1)
})

test('Go timestamps always have six fraction digits', () => {
  assert.equal(
    formatGoTimestamp(new Date('2026-12-31T23:59:59.000Z')),
    '2026-12-31T23:59:59.000000Z',
  )
})
