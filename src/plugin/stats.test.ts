import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { readCpuMhz, StatsAccumulator } from './stats.js'

const sample = (atMs: number, userMs: number, systemMs: number) => ({
  at: new Date(atMs),
  processes: [
    {
      pid: 10,
      rssBytes: 1000,
      cpuTotalMs: userMs + systemMs,
      cpuUserMs: userMs,
      cpuSystemMs: systemMs,
      cpuPercent: 5,
    },
    { pid: 11, rssBytes: 500, cpuTotalMs: 0, cpuUserMs: 0, cpuSystemMs: 0, cpuPercent: 1 },
  ],
})

test('user and system percent come from the CPU time between two samples of a pid', () => {
  const stats = new StatsAccumulator()

  const first = stats.toResponse('t', sample(1_000, 100, 50))
  const second = stats.toResponse('t', sample(2_000, 400, 150))

  assert.equal(first.stats.agg_resource_usage.cpu.user_mode, 0)
  assert.equal(second.stats.agg_resource_usage.cpu.user_mode, 30)
  assert.equal(second.stats.agg_resource_usage.cpu.system_mode, 10)
  assert.equal(second.stats.resource_usage_by_pid['10'].cpu.user_mode, 30)
})

test('the aggregate sums every process and always has a timestamp', () => {
  const stats = new StatsAccumulator()

  const response = stats.toResponse('t', sample(1_500, 0, 0))

  assert.deepEqual(response.stats.timestamp, { seconds: 1, nanos: 500_000_000 })
  assert.equal(response.stats.agg_resource_usage.memory.rss, 1500)
  assert.equal(response.stats.agg_resource_usage.cpu.percent, 6)
})

test('a task without processes still gets a complete stats message', () => {
  const response = new StatsAccumulator().toResponse('t', { at: new Date(0), processes: [] })

  assert.equal(response.stats.agg_resource_usage.memory.rss, 0)
  assert.deepEqual(response.stats.agg_resource_usage.cpu.measured_fields, [
    'SYSTEM_MODE',
    'USER_MODE',
    'PERCENT',
  ])
})

test('with the core clock known, total_ticks is percent of one core in MHz and listed as measured', () => {
  const response = new StatsAccumulator(2000).toResponse('t', sample(1_000, 0, 0))

  const cpu = response.stats.agg_resource_usage.cpu
  assert.equal(cpu.total_ticks, 120)
  assert.ok(cpu.measured_fields.includes('TOTAL_TICKS'))
})

test('the core clock is read from cpuinfo, and is null when it is not there', () => {
  assert.equal(readCpuMhz('processor\t: 0\ncpu MHz\t\t: 2596.142\ncpu MHz\t\t: 2800.5\n'), 2800.5)
  assert.equal(readCpuMhz('processor\t: 0\nBogoMIPS\t: 50.00\n'), null)
})
