/**
 * The keys Nomad's job specification allows in a job, group and task block.
 * A key outside these is an error, as Nomad's parser makes it; a key Nomad
 * knows but the local runner does not act on is named once, so nobody
 * believes a `template` or `service` block did something here.
 *
 * @module
 */
import { jobInvalidError } from './errors.js'

type BlockKind = 'job' | 'group' | 'task'

/** What the runner reads, per block kind. */
const USED: Record<BlockKind, string[]> = {
  job: ['group', 'datacenters', 'name', 'namespace', 'region', 'meta'],
  group: ['task', 'count', 'network', 'meta'],
  task: [
    'driver',
    'config',
    'env',
    'artifact',
    'kill_timeout',
    'kill_signal',
    'resources',
    'meta',
    'logs',
    'user',
  ],
}

/** What Nomad allows but the runner does not act on. */
const IGNORED: Record<BlockKind, string[]> = {
  job: [
    'id',
    'type',
    'priority',
    'all_at_once',
    'constraint',
    'affinity',
    'spread',
    'update',
    'migrate',
    'reschedule',
    'periodic',
    'parameterized',
    'multiregion',
    'node_pool',
    'vault',
    'consul',
    'ui',
  ],
  group: [
    'constraint',
    'affinity',
    'spread',
    'service',
    'volume',
    'restart',
    'reschedule',
    'update',
    'migrate',
    'scaling',
    'ephemeral_disk',
    'shutdown_delay',
    'stop_after_client_disconnect',
    'max_client_disconnect',
    'prevent_reschedule_on_lost',
    'disconnect',
    'consul',
  ],
  task: [
    'template',
    'service',
    'vault',
    'consul',
    'volume_mount',
    'lifecycle',
    'restart',
    'constraint',
    'affinity',
    'leader',
    'shutdown_delay',
    'identity',
    'scaling',
    'dispatch_payload',
    'csi_plugin',
    'kind',
    'action',
    'schedule',
    'secret',
  ],
}

/**
 * Refuses keys Nomad does not know in a `kind` block and returns a note for
 * each key the runner leaves alone.
 *
 * @throws RunnerError `ERR_RUNNER_JOB_INVALID` naming the key and block.
 */
export function checkBlockKeys(kind: BlockKind, where: string, body: object): string[] {
  const notes: string[] = []
  for (const key of Object.keys(body)) {
    if (USED[kind].includes(key)) continue
    if (IGNORED[kind].includes(key)) {
      notes.push(`${where}: "${key}" is not acted on by the local runner; ignored`)
      continue
    }
    throw jobInvalidError(`${where}: unsupported argument or block "${key}" in a ${kind} block`)
  }
  return notes
}
