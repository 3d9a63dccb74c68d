/**
 * The API side of the Management API benchmark, in a process of its own as
 * in the plugin: a real Driver with one task and the API on a loopback
 * port. Prints one JSON line with what the benchmark needs, then serves
 * until SIGTERM, when it cleans up everything it made.
 */
import { startHarness } from '../test/integration/management-harness.js'

const harness = await startHarness({ apiKey: 'bench-key', limits: { maxBodyBytes: 8 * 1024 ** 3 } })
const siteUrl = harness.driver.findTask(harness.task.allocId, harness.task.name)?.siteUrl
console.log(
  JSON.stringify({ pid: process.pid, taskUrl: harness.taskUrl, taskDir: harness.taskDir, siteUrl }),
)
process.once('SIGTERM', () => {
  harness.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
