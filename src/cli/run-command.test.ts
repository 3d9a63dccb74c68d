import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'

import { Reporter } from '../runner/reporter.js'
import { stopOnSignals } from './run-command.js'

test('the first signal stops in order, the second is acknowledged, the third quits with 130', () => {
  const err = new PassThrough()
  let text = ''
  err.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const stop = new AbortController()
  const forceQuit = new AbortController()
  const exits: number[] = []
  const onSignal = stopOnSignals(new Reporter(new PassThrough(), err, true), stop, forceQuit, (c) =>
    exits.push(c),
  )

  onSignal('SIGINT')
  const afterFirst = [stop.signal.aborted, forceQuit.signal.aborted, exits.length]
  onSignal('SIGINT')
  const afterSecond = [forceQuit.signal.aborted, exits.length]
  onSignal('SIGTERM')

  assert.deepEqual(afterFirst, [true, false, 0])
  assert.deepEqual(afterSecond, [false, 0])
  assert.equal(forceQuit.signal.aborted, true)
  assert.deepEqual(exits, [130])
  assert.match(text, /SIGINT: stopping every task\nSIGINT: already stopping/)
  assert.match(text, /SIGTERM: quitting without stopping/)
})
