/**
 * Windows command lines and paths from web.config files, taken the Linux way:
 * `%NAME%` expanded, backslashes made slashes, `.exe` optional, arguments
 * split as a Windows command line.
 *
 * @module
 */

/** `%NAME%` is expanded from env, as IIS expands processPath; unknown names stay. */
export function expandVariables(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/%([A-Za-z_][A-Za-z0-9_]*)%/g, (all, name: string) => env[name] ?? all)
}

export function toLinuxPath(path: string): string {
  return path.replace(/\\/g, '/')
}

/** Only relative Windows paths in arguments are translated; other text is the program's. */
export function toLinuxArgument(arg: string): string {
  return /^\.\.?\\/.test(arg) ? toLinuxPath(arg) : arg
}

/**
 * Splits an arguments attribute as a Windows command line is split: white
 * space separates, double quotes group, `\"` is a literal quote.
 */
export function splitArguments(text: string): string[] {
  const args: string[] = []
  let current = ''
  let isQuoted = false
  let hasToken = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch === '\\' && text[i + 1] === '"') {
      current += '"'
      i++
      hasToken = true
    } else if (ch === '"') {
      isQuoted = !isQuoted
      hasToken = true
    } else if (/\s/.test(ch) && !isQuoted) {
      if (hasToken) args.push(current)
      current = ''
      hasToken = false
    } else {
      current += ch
      hasToken = true
    }
  }
  if (hasToken) args.push(current)
  return args
}

/** A command with `.exe` may name the file with or without it: try both, as written first. */
export function withoutExe(command: string): string[] {
  return /\.exe$/i.test(command) ? [command, command.slice(0, -4)] : [command]
}
