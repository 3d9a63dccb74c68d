import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readProcSample } from './proc-stats.js'

test('this process has CPU time and a resident set in /proc', async () => {
  const end = Date.now() + 50
  while (Date.now() < end) Math.sqrt(Math.random())

  const sample = await readProcSample(process.pid)

  assert.ok(sample)
  assert.ok(sample.cpuUserMs + sample.cpuSystemMs > 0)
  // Within a factor of two of what Node itself reports for the resident set.
  const rss = process.memoryUsage.rss()
  assert.ok(sample.rssBytes > rss / 2 && sample.rssBytes < rss * 2, `${sample.rssBytes} vs ${rss}`)
})

test('a pid that does not exist gives no sample', async () => {
  assert.equal(await readProcSample(2 ** 22 + 1), null)
})
