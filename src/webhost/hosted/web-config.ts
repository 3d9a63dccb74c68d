/**
 * Reads an application's `web.config` the way IIS does, to learn whether the
 * application is a hosted program and how to start it. Three IIS modules are
 * understood: the ASP.NET Core Module (`system.webServer/aspNetCore`),
 * HttpPlatformHandler (`system.webServer/httpPlatform`) and iisnode (a
 * handler whose `modules` is `iisnode`). Windows paths are taken the Linux
 * way: `.\` becomes `./`, backslashes become slashes and a trailing `.exe` is
 * dropped when only the name without it exists.
 *
 * @module
 */
import { constants } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { HostedError } from './errors.js'
import {
  expandVariables,
  splitArguments,
  toLinuxArgument,
  toLinuxPath,
  withoutExe,
} from './windows-paths.js'
import type { HostedProgramDefinition } from '../site-definition.js'

/** The IIS module a program's web.config names. */
export type HostingModule = 'aspNetCore' | 'httpPlatform' | 'iisnode'

/** What a web.config says about the program of an application. */
export interface WebConfigProgram {
  module: HostingModule
  program: HostedProgramDefinition
  /** Things that work differently here, to be reported once per application. */
  warnings: string[]
}

export interface ReadWebConfigOptions {
  /** Environment used to expand `%VAR%` in processPath and to search PATH. */
  env?: Record<string, string | undefined>
  /** The node executable iisnode applications run with; default this process's. */
  nodePath?: string
}

/** The environment variable each module tells its program the port in. */
export const PORT_ENV_BY_MODULE: Record<HostingModule, string> = {
  aspNetCore: 'ASPNETCORE_PORT',
  httpPlatform: 'HTTP_PLATFORM_PORT',
  iisnode: 'PORT',
}

/** Handler modules that serve files and need no program. */
const STATIC_MODULES = new Set([
  'staticfilemodule',
  'defaultdocumentmodule',
  'directorylistingmodule',
  'protocolsupportmodule',
  'optionsverbmodule',
  'traceverbmodule',
])

type XmlNode = Record<string, unknown>

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseAttributeValue: false,
  isArray: (name) => ['add', 'location', 'environmentVariable'].includes(name),
})

/**
 * Reads `<physicalPath>/web.config` and returns the program it names.
 *
 * @param physicalPath - the application's folder
 * @returns the program, or null when there is no web.config or it names no program
 * @throws {HostedError} ERR_HOSTED_WEB_CONFIG_NOT_XML, ERR_HOSTED_WEB_CONFIG_INCOMPLETE,
 *   ERR_HOSTED_PROGRAM_MISSING or ERR_HOSTED_HANDLER_UNSUPPORTED
 * @example
 * const found = await readWebConfig('/srv/app', { env: process.env })
 * if (found) application.program = found.program
 */
export async function readWebConfig(
  physicalPath: string,
  options: ReadWebConfigOptions = {},
): Promise<WebConfigProgram | null> {
  let xml: string
  try {
    xml = await readFile(join(physicalPath, 'web.config'), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  const found = parseWebConfig(xml, physicalPath, options)
  if (found === null) return null
  await resolveCommand(found, physicalPath, options.env ?? process.env)
  return found
}

/**
 * Parses web.config text without touching the file system: the command is
 * returned as written (Linux-translated), not yet looked up.
 *
 * @throws {HostedError} as readWebConfig, except ERR_HOSTED_PROGRAM_MISSING
 */
export function parseWebConfig(
  xml: string,
  physicalPath: string,
  options: ReadWebConfigOptions = {},
): WebConfigProgram | null {
  const sections = systemWebServerSections(parseXml(xml))
  const handlers = sections.flatMap((s) => asNodes(asNode(s.handlers)?.add))
  const aspNetCore = firstSection(sections, 'aspNetCore')
  const httpPlatform = firstSection(sections, 'httpPlatform')
  const iisnode = handlers.find((h) => attr(h, 'modules').toLowerCase() === 'iisnode')

  if (aspNetCore) return fromAspNetCore(aspNetCore, physicalPath, options.env ?? process.env)
  if (httpPlatform) return fromHttpPlatform(httpPlatform, physicalPath, options.env ?? process.env)
  if (iisnode) return fromIisnode(iisnode, sections, physicalPath, options.nodePath)
  checkHandlers(handlers)
  return null
}

function parseXml(xml: string): XmlNode {
  const text = xml.replace(/^\uFEFF/, '')
  const valid = XMLValidator.validate(text)
  if (valid !== true) {
    const { msg, line, col } = valid.err
    throw new HostedError(
      'ERR_HOSTED_WEB_CONFIG_NOT_XML',
      `web.config is not well-formed xml at line ${line}, column ${col}: ${msg}`,
    )
  }
  const doc = parser.parse(text) as XmlNode
  // `<configuration/>` parses to an empty string: a root with nothing in it.
  const root = 'configuration' in doc ? (asNode(doc.configuration) ?? {}) : null
  if (root === null) {
    throw new HostedError(
      'ERR_HOSTED_WEB_CONFIG_NOT_XML',
      'web.config has no <configuration> root element; give it one as IIS requires',
    )
  }
  return root
}

/** system.webServer at the top and in `<location>` elements that apply to the app itself. */
function systemWebServerSections(configuration: XmlNode): XmlNode[] {
  const sections: XmlNode[] = []
  const top = asNode(configuration['system.webServer'])
  if (top) sections.push(top)
  for (const location of asNodes(configuration.location)) {
    const path = attr(location, 'path')
    if (path !== '' && path !== '.') continue
    const inner = asNode(location['system.webServer'])
    if (inner) sections.push(inner)
  }
  return sections
}

function firstSection(sections: XmlNode[], name: string): XmlNode | null {
  for (const section of sections) {
    if (name in section) return asNode(section[name]) ?? {}
  }
  return null
}

function fromAspNetCore(
  node: XmlNode,
  physicalPath: string,
  env: Record<string, string | undefined>,
): WebConfigProgram {
  const warnings: string[] = []
  const processPath = requireAttr(node, 'processPath', 'aspNetCore')
  rejectLauncherVariables(processPath, attr(node, 'arguments'))
  if (attr(node, 'hostingModel').toLowerCase() === 'inprocess') {
    warnings.push(
      'aspNetCore hostingModel inprocess is run out of process here: the app listens on ' +
        'ASPNETCORE_PORT and the site host proxies to it',
    )
  }
  return {
    module: 'aspNetCore',
    program: buildProgram(node, physicalPath, env, 'aspNetCore', warnings),
    warnings,
  }
}

function fromHttpPlatform(
  node: XmlNode,
  physicalPath: string,
  env: Record<string, string | undefined>,
): WebConfigProgram {
  const warnings: string[] = []
  requireAttr(node, 'processPath', 'httpPlatform')
  return {
    module: 'httpPlatform',
    program: buildProgram(node, physicalPath, env, 'httpPlatform', warnings),
    warnings,
  }
}

function fromIisnode(
  handler: XmlNode,
  sections: XmlNode[],
  physicalPath: string,
  nodePath: string | undefined,
): WebConfigProgram {
  const script = attr(handler, 'path')
  if (script === '' || /[*?]/.test(script)) {
    throw new HostedError(
      'ERR_HOSTED_WEB_CONFIG_INCOMPLETE',
      `web.config iisnode handler path "${script}" must name the script to run, e.g. server.js`,
    )
  }
  const warnings: string[] = []
  const settings = firstSection(sections, 'iisnode')
  if (settings && attr(settings, 'nodeProcessCommandLine') !== '') {
    warnings.push('iisnode nodeProcessCommandLine is ignored: the script runs with this node')
  }
  const program: HostedProgramDefinition = {
    command: nodePath ?? process.execPath,
    args: [resolve(physicalPath, toLinuxPath(script))],
    portEnv: PORT_ENV_BY_MODULE.iisnode,
    env: {},
    workingDirectory: physicalPath,
  }
  return { module: 'iisnode', program, warnings }
}

function buildProgram(
  node: XmlNode,
  physicalPath: string,
  env: Record<string, string | undefined>,
  module: HostingModule,
  warnings: string[],
): HostedProgramDefinition {
  let command = toLinuxPath(expandVariables(attr(node, 'processPath').trim(), env))
  if (/^[A-Za-z]:\//.test(command)) {
    warnings.push(
      `${module} processPath ${command} is a Windows path: ${basename(command)} is looked up on PATH`,
    )
    command = basename(command)
  }
  return {
    command,
    args: splitArguments(attr(node, 'arguments')).map(toLinuxArgument),
    portEnv: PORT_ENV_BY_MODULE[module],
    env: readEnvironmentVariables(node),
    workingDirectory: physicalPath,
  }
}

/** Visual Studio's development web.config, which only works under its launcher. */
function rejectLauncherVariables(processPath: string, args: string): void {
  if (!/%LAUNCHER_(PATH|ARGS)%/i.test(processPath + args)) return
  throw new HostedError(
    'ERR_HOSTED_HANDLER_UNSUPPORTED',
    'web.config uses %LAUNCHER_PATH% from a development build; deploy the output of dotnet publish',
  )
}

function readEnvironmentVariables(node: XmlNode): Record<string, string> {
  const env: Record<string, string> = {}
  const list = asNode(node.environmentVariables)
  for (const variable of asNodes(list?.environmentVariable)) {
    const name = attr(variable, 'name')
    if (name !== '') env[name] = attr(variable, 'value')
  }
  return env
}

/** A web.config with handlers that need Windows (FastCGI, ISAPI, managed .NET) is refused. */
function checkHandlers(handlers: XmlNode[]): void {
  for (const handler of handlers) {
    const modules = attr(handler, 'modules')
    const type = attr(handler, 'type')
    const name = attr(handler, 'name')
    if (
      modules !== '' &&
      modules.split(',').every((m) => STATIC_MODULES.has(m.trim().toLowerCase()))
    ) {
      continue
    }
    if (/^aspnetcoremodule/i.test(modules) || /^httpplatformhandler$/i.test(modules)) {
      throw new HostedError(
        'ERR_HOSTED_WEB_CONFIG_INCOMPLETE',
        `web.config handler "${name}" uses ${modules} but has no matching ` +
          `<${/^aspnet/i.test(modules) ? 'aspNetCore' : 'httpPlatform'}> section with a processPath`,
      )
    }
    const what = modules !== '' ? `module ${modules}` : type !== '' ? `type ${type}` : 'no module'
    throw new HostedError(
      'ERR_HOSTED_HANDLER_UNSUPPORTED',
      `web.config handler "${name}" (${what}) is not supported on linux; ` +
        'use aspNetCore, httpPlatform or iisnode, or remove the handler',
    )
  }
}

/** Looks the command up as IIS would, the Linux way, and records its full path. */
async function resolveCommand(
  found: WebConfigProgram,
  physicalPath: string,
  env: Record<string, string | undefined>,
): Promise<void> {
  const { program, module } = found
  if (module === 'iisnode') {
    await requireFile(program.args[0] ?? '', 'iisnode handler script', constants.R_OK)
    return
  }
  const candidates = withoutExe(program.command)
  const isPathLike = program.command.includes('/')
  const dirs = isPathLike ? [physicalPath] : (env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const dir of dirs) {
    for (const name of candidates) {
      const full = isAbsolute(name) ? name : resolve(dir, name)
      if (await isExecutable(full)) {
        program.command = full
        return
      }
    }
  }
  const where = isPathLike ? `in ${physicalPath}` : 'on PATH'
  throw new HostedError(
    'ERR_HOSTED_PROGRAM_MISSING',
    `web.config ${module} processPath "${program.command}" names a program not found ${where}; ` +
      'deploy it, make it executable (chmod +x) or correct processPath',
  )
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

async function requireFile(path: string, what: string, mode: number): Promise<void> {
  try {
    await access(path, mode)
  } catch (err) {
    throw new HostedError(
      'ERR_HOSTED_PROGRAM_MISSING',
      `web.config ${what} ${path} does not exist or cannot be read; deploy it or correct the path`,
      { cause: err },
    )
  }
}

function requireAttr(node: XmlNode, name: string, section: string): string {
  const value = attr(node, name).trim()
  if (value !== '') return value
  throw new HostedError(
    'ERR_HOSTED_WEB_CONFIG_INCOMPLETE',
    `web.config <${section}> has no ${name}; set it to the program that serves the app`,
  )
}

function attr(node: XmlNode, name: string): string {
  const value = node[`@_${name}`]
  return typeof value === 'string' ? value : value === undefined ? '' : String(value)
}

function asNode(value: unknown): XmlNode | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as XmlNode)
    : null
}

function asNodes(value: unknown): XmlNode[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value]
  return list.filter((v): v is XmlNode => asNode(v) !== null)
}
