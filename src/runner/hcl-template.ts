/**
 * HCL template rendering of config strings with the task environment as
 * variables, as the Nomad client's hcldec evaluation does: `${NAME}` is the
 * variable's value, `$${` a literal `${`. Only plain variable references
 * are supported; anything else is an error naming the expression.
 *
 * @module
 */
import type { Scope } from './hcldec.js'
import { HclDecodeError } from './hcldec.js'

/** Renders every string in `value` as an HCL template. */
export function interpolate(value: unknown, scope: Scope, name: string): unknown {
  if (typeof value === 'string') return renderTemplate(value, scope, name)
  if (Array.isArray(value)) return value.map((item) => interpolate(item, scope, name))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, scope, name)]),
    )
  }
  return value
}

function renderTemplate(text: string, scope: Scope, name: string): string {
  return text.replace(/\$\$\{|\$\{([^}]*)\}/g, (whole, expression: string | undefined) => {
    if (expression === undefined) return '${'
    const variable = expression.trim()
    if (!/^[A-Za-z_][\w.-]*$/.test(variable)) {
      throw new HclDecodeError(
        `argument '${name}' in block '${scope.blockName}': only variable references are ` +
          `supported in '${whole}'`,
      )
    }
    const value = scope.variables?.[variable]
    if (value === undefined) {
      throw new HclDecodeError(
        `argument '${name}' in block '${scope.blockName}': unknown variable '${variable}'`,
      )
    }
    return value
  })
}
