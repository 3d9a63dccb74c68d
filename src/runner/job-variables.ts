/**
 * HCL2 input variables of a job file, as `nomad job run -var name=value`
 * resolves them: `variable "name" { default = ... }` blocks, values given on
 * the command line (always strings, converted to the declared `number` or
 * `bool` type), and every `${var.name}` reference in the job replaced. A
 * string that is exactly one reference takes the value with its own type.
 *
 * @module
 */
import { jobInvalidError } from './errors.js'

type Tree = Record<string, unknown>

/** Matches `${var.name}` as hcl2json renders a variable reference. */
const REFERENCE = /\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}/g
const WHOLE_REFERENCE = /^\$\{var\.([A-Za-z_][A-Za-z0-9_-]*)\}$/

/**
 * Resolves the tree's `variable` blocks with `given` and returns the tree's
 * other blocks with every reference replaced.
 *
 * @throws RunnerError `ERR_RUNNER_JOB_INVALID` for a variable without a
 *   value, a value given for no variable, or a value of the wrong type.
 */
export function applyVariables(tree: Tree, given: Record<string, string>): Tree {
  const values = resolveValues(tree.variable, given)
  const rest = { ...tree }
  delete rest.variable
  return replaceIn(rest, values) as Tree
}

function resolveValues(declared: unknown, given: Record<string, string>): Map<string, unknown> {
  const blocks = (typeof declared === 'object' && declared !== null ? declared : {}) as Tree
  const values = new Map<string, unknown>()
  for (const [name, bodies] of Object.entries(blocks)) {
    const body = (Array.isArray(bodies) ? bodies[0] : bodies) as Tree
    const type = typeof body.type === 'string' ? body.type.replace(/^\$\{(.*)\}$/, '$1') : 'any'
    if (name in given) values.set(name, convert(name, given[name], type))
    else if ('default' in body) values.set(name, body.default)
    else
      throw jobInvalidError(`variable "${name}" has no default; give it with --var ${name}=<value>`)
  }
  const unknown = Object.keys(given).find((name) => !values.has(name))
  if (unknown !== undefined) {
    throw jobInvalidError(`--var ${unknown}: the job declares no variable "${unknown}"`)
  }
  return values
}

function convert(name: string, text: string, type: string): unknown {
  if (type === 'number') {
    if (text.trim() === '' || !Number.isFinite(Number(text))) {
      throw jobInvalidError(`--var ${name}=${text}: variable "${name}" is a number`)
    }
    return Number(text)
  }
  if (type === 'bool') {
    if (text !== 'true' && text !== 'false') {
      throw jobInvalidError(`--var ${name}=${text}: variable "${name}" is true or false`)
    }
    return text === 'true'
  }
  return text
}

function replaceIn(value: unknown, values: Map<string, unknown>): unknown {
  if (typeof value === 'string') return replaceString(value, values)
  if (Array.isArray(value)) return value.map((item) => replaceIn(item, values))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceIn(v, values)]))
  }
  return value
}

function replaceString(text: string, values: Map<string, unknown>): unknown {
  const whole = WHOLE_REFERENCE.exec(text)
  if (whole !== null) return lookup(whole[1], values)
  return text.replace(REFERENCE, (_ref, name: string) => {
    const value = lookup(name, values)
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
}

function lookup(name: string, values: Map<string, unknown>): unknown {
  if (!values.has(name)) {
    throw jobInvalidError(`var.${name} is used but no variable "${name}" block declares it`)
  }
  return values.get(name)
}
