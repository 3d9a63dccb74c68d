/**
 * Process dumps with Sysinternals ProcDump for Linux: it writes a core dump
 * of one pid into a fresh temp folder; the route streams the file and
 * deletes it afterwards. A missing binary is 503, an EULA not accepted 409.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { access, constants, mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DependencyMissingError, EulaNotAcceptedError, TimeoutError } from './errors.js'

/** procdump's own output is kept to this many bytes for error reports. */
const MAX_OUTPUT_BYTES = 8 * 1024

export interface ProcdumpConfig {
  binaryPath: string
  acceptEula: boolean
  timeoutMs: number
}

export interface DumpFile {
  path: string
  sizeBytes: number
  /** Removes the dump and its temp folder. Idempotent. */
  remove(): Promise<void>
}

export class ProcdumpService {
  #config: () => ProcdumpConfig

  /** `config` is read per call, so a new driver config takes effect at once. */
  constructor(config: () => ProcdumpConfig) {
    this.#config = config
  }

  /**
   * Checks procdump can run at all, before a worker is looked for.
   *
   * @throws EulaNotAcceptedError, DependencyMissingError
   */
  async checkReady(): Promise<void> {
    const { binaryPath, acceptEula } = this.#config()
    if (!acceptEula) throw new EulaNotAcceptedError()
    try {
      await access(binaryPath, constants.X_OK)
    } catch (err) {
      throw new DependencyMissingError(
        `procdump is not installed at '${binaryPath}': install the procdump package or set procdump.binary_path`,
        err,
      )
    }
  }

  /** Dumps `pid` into a new temp folder. */
  async dump(pid: number): Promise<DumpFile> {
    await this.checkReady()
    const { binaryPath, timeoutMs } = this.#config()
    const dir = await mkdtemp(join(tmpdir(), 'nomad-iis-procdump-'))
    const remove = (): Promise<void> => rm(dir, { recursive: true, force: true })
    try {
      await runProcdump(binaryPath, pid, dir, timeoutMs)
      const [name] = await readdir(dir)
      if (name === undefined)
        throw new DependencyMissingError(`procdump wrote no dump of pid ${pid}`)
      const path = join(dir, name)
      return { path, sizeBytes: (await stat(path)).size, remove }
    } catch (err) {
      await remove()
      throw err
    }
  }
}

function runProcdump(
  binaryPath: string,
  pid: number,
  dir: string,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binaryPath, ['-p', String(pid), '-o', `${dir}/`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const collect = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT_BYTES) output += chunk.toString('utf8')
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new TimeoutError(`procdump of pid ${pid}`, timeoutMs))
    }, timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(new DependencyMissingError(`procdump at '${binaryPath}' did not start`, err))
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve()
      else
        reject(
          new DependencyMissingError(`procdump failed with exit code ${code}: ${lastLine(output)}`),
        )
    })
  })
}

function lastLine(output: string): string {
  const lines = output.trim().split('\n')
  return (lines.at(-1) ?? '').trim() || 'no output'
}
