/**
 * The runner's plugin config, as a Nomad agent reads it from its own config
 * file: `plugin "nomad_iis" { args = [...]  config { ... } }`. Other blocks
 * of an agent file are ignored. Without a file, or without `state_dir` in
 * it, the state dir is put under the runner's work dir, so that a local run
 * never needs /var/lib.
 *
 * @module
 */
import { readFile } from 'node:fs/promises'
import { parse } from '@cdktf/hcl2json'

import { agentConfigError } from './errors.js'

/** The plugin's file name, which the agent's plugin block must be labelled with. */
export const PLUGIN_FILE_NAME = 'nomad_iis'

export interface AgentPluginConfig {
  /** The `config` block in map form (nested blocks as arrays of objects). */
  config: Record<string, unknown>
  /** `args`: extra arguments for the plugin process. */
  args: string[]
}

/**
 * Reads the plugin block from an agent config file, or the defaults when
 * `path` is null.
 *
 * @throws RunnerError `ERR_RUNNER_AGENT_CONFIG` naming the file and problem.
 */
export async function readAgentConfig(
  path: string | null,
  stateDir: string,
): Promise<AgentPluginConfig> {
  const found = path === null ? { config: {}, args: [] } : await readPluginBlock(path)
  if (!('state_dir' in found.config)) found.config.state_dir = stateDir
  return found
}

async function readPluginBlock(path: string): Promise<AgentPluginConfig> {
  let tree: Record<string, unknown>
  try {
    tree = (await parse(path, await readFile(path, 'utf8'))) as Record<string, unknown>
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err)
    throw agentConfigError(
      `cannot read agent config ${path}: ${text.replace(/^parse config: /, '')}`,
      err,
    )
  }
  const plugins = (tree.plugin ?? {}) as Record<string, unknown>
  const blocks = plugins[PLUGIN_FILE_NAME]
  if (!Array.isArray(blocks) || blocks.length === 0) {
    return { config: {}, args: [] }
  }
  if (blocks.length > 1)
    throw agentConfigError(`${path}: more than one plugin "${PLUGIN_FILE_NAME}" block`)
  const block = blocks[0] as Record<string, unknown>
  const configs = Array.isArray(block.config)
    ? block.config
    : block.config === undefined
      ? []
      : [block.config]
  if (configs.length > 1)
    throw agentConfigError(`${path}: plugin "${PLUGIN_FILE_NAME}" has more than one config block`)
  const args = block.args ?? []
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw agentConfigError(`${path}: plugin "${PLUGIN_FILE_NAME}" args must be a list of strings`)
  }
  return { config: { ...((configs[0] as Record<string, unknown>) ?? {}) }, args }
}
