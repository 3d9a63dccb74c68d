/**
 * The parts of a Nomad job the local runner acts on, after parsing. Field
 * names follow Nomad's job specification; units are in the names.
 *
 * @module
 */

/** One `network { port "label" { ... } }` entry of a group. */
export interface PortSpec {
  label: string
  /** `static = N`, or null for a dynamic port. */
  staticPort: number | null
  /** `to = N`: the port the task listens on inside; 0 when unset. */
  to: number
}

/** One `artifact { ... }` block. */
export interface ArtifactSpec {
  source: string
  /** Relative to the task dir; Nomad's default is `local/`. */
  destination: string
  /** go-getter mode: `any`, `file` or `dir`. */
  mode: 'any' | 'file' | 'dir'
  /** go-getter options, e.g. `archive = "false"` or `archive = "zip"`. */
  options: Record<string, string>
}

export interface TaskSpec {
  name: string
  driver: string
  /** The `config` block in Nomad's map form: nested blocks are arrays of objects. */
  config: Record<string, unknown>
  /** The `env` block, not interpolated yet. */
  env: Record<string, string>
  artifacts: ArtifactSpec[]
  killTimeoutMs: number
  /** Empty when the job sets none: the driver picks its default. */
  killSignal: string
  /** The `logs` block: logmon's rotation limits, or no log capture at all. */
  logs: { maxFiles: number; maxFileBytes: number; isDisabled: boolean }
  cpuMhz: number
  memoryMb: number
  memoryMaxMb: number
  meta: Record<string, string>
  /** The job's `user`, passed on in the TaskConfig. */
  user: string
  /** Keys of this task Nomad knows but the local runner ignores, as sentences. */
  notes: string[]
}

export interface GroupSpec {
  name: string
  count: number
  ports: PortSpec[]
  tasks: TaskSpec[]
  meta: Record<string, string>
}

export interface JobSpec {
  /** The job's label: `job "<id>" { ... }`. */
  id: string
  name: string
  namespace: string
  region: string
  datacenter: string
  meta: Record<string, string>
  groups: GroupSpec[]
  /** Absolute path of the job file; artifact sources are relative to its folder. */
  filePath: string
  /** Job and group keys Nomad knows but the local runner ignores, as sentences. */
  notes: string[]
}
