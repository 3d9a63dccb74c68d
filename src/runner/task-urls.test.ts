import { test } from 'node:test'
import assert from 'node:assert/strict'

import { buildTaskUrls } from './task-urls.js'

const PORTS = [{ label: 'http', value: 23456, to: 0, hostIp: '127.0.0.1' }]

test('each http binding gives one URL on its port, labels resolved', () => {
  const decoded = {
    bindings: [
      { type: 'http', port: 'http', ip_address: null, hostname: null },
      { type: 'http', port: '8080', ip_address: '127.0.0.2', hostname: 'app.local' },
      { type: 'https', port: 'http', ip_address: null, hostname: null },
    ],
  }

  const urls = buildTaskUrls(decoded, PORTS)

  assert.deepEqual(urls, [
    { url: 'http://127.0.0.1:23456/', port: 23456, hostname: null },
    { url: 'http://127.0.0.2:8080/', port: 8080, hostname: 'app.local' },
  ])
})

test('a config without bindings has no URLs', () => {
  assert.deepEqual(buildTaskUrls({ bindings: [] }, PORTS), [])
  assert.deepEqual(buildTaskUrls({}, PORTS), [])
})
