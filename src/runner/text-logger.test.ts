import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'

import { TextLogger } from './text-logger.js'

test('entries at or above the level become one readable line each', () => {
  const out = new PassThrough()
  let text = ''
  out.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const log = new TextLogger(out, 'warn')

  log.info({ plugin: 12 }, 'hidden')
  log.warn({ plugin: 12, pool: 'default', tries: 3 }, 'worker restarted')
  log.error({ err: new Error('boom now') }, 'start failed')

  assert.equal(
    text,
    'plugin warn: worker restarted pool=default tries=3\nplugin error: start failed err="boom now"\n',
  )
})
