/**
 * A Driver in a process of its own, for the recovery test: it starts the
 * task given as JSON in argv[2], prints the handle state as one JSON line
 * and then waits to be killed, as a plugin process would.
 */
import { Driver, parseDriverConfig } from '../../src/driver/index.js'
import type { TaskConfig } from '../../src/driver/index.js'

const { stateDir, task } = JSON.parse(process.argv[2] ?? '{}') as {
  stateDir: string
  task: TaskConfig
}
const driver = new Driver({ config: parseDriverConfig({ state_dir: stateDir }) })
const handle = await driver.startTask(task)
process.stdout.write(
  `${JSON.stringify({ version: handle.version, driverState: Buffer.from(handle.driverState).toString('base64') })}\n`,
)
setInterval(() => {}, 60_000)
