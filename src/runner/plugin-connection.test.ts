import { test } from 'node:test'
import assert from 'node:assert/strict'

import { messageOf, toUsage } from './plugin-connection.js'

test('a TaskStats answer gives the aggregate RSS and CPU percent', () => {
  const message = {
    stats: {
      id: 'a/t/1',
      timestamp: { seconds: 1, nanos: 0 },
      agg_resource_usage: { cpu: { percent: 12.5 }, memory: { rss: 4096 } },
    },
  }

  assert.deepEqual(toUsage(message), { rssBytes: 4096, cpuPercent: 12.5 })
  assert.deepEqual(toUsage({ stats: null }), { rssBytes: 0, cpuPercent: 0 })
})

test('a gRPC error shows the plugin its own words', () => {
  const grpcError = Object.assign(new Error('3 INVALID_ARGUMENT: pool name too long'), {
    details: 'pool name too long',
  })

  assert.equal(messageOf(grpcError), 'pool name too long')
  assert.equal(messageOf(new Error('plain')), 'plain')
})
