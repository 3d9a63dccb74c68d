/**
 * The one declarative definition of the task config (`config { }` in a job)
 * and the agent config (`plugin "nomad_iis" { config { } }`). The hclspec
 * handed to Nomad, the validation of decoded values and the reference docs
 * are all derived from these trees, so they never drift apart.
 *
 * Keys, types, defaults and block nesting follow the Windows IIS driver
 * (sevensolutions/nomad-iis), so job files written for it parse unchanged.
 *
 * @module
 */

/** The hclspec type expressions this schema uses. */
export type AttrType = 'string' | 'number' | 'bool' | 'list(string)'

/** One attribute (`key = value`). The output key is the attribute name. */
export interface AttrField {
  kind: 'attr'
  type: AttrType
  isRequired?: boolean
  /** Applied by Nomad through a Default spec, and by us when the value is null. */
  defaultValue?: string | number | boolean
  /** Accepted values for a string, compared case-insensitively, stored as spelled here. */
  oneOf?: readonly string[]
  /** A duration in either form `parseDuration` accepts; decoded to milliseconds. */
  isDuration?: boolean
  /** Accepted for compatibility, has no effect on Linux, named in a warning. */
  isWindowsOnly?: boolean
  /** For the docs: what the option does here when that is not simply "used". */
  here?: string
  doc: string
}

/** A repeatable block (`name { ... }`), decoded as a list of objects. */
export interface BlockListField {
  kind: 'blockList'
  blockName: string
  minItems: number
  /** 0 means no maximum. */
  maxItems: number
  nested: ObjectDef
  isWindowsOnly?: boolean
  /** For the docs: what the block does here when that is not simply "used". */
  here?: string
  doc: string
}

export type FieldDef = AttrField | BlockListField

/** Output key -> field. For a block list the output key differs from the block name. */
export type ObjectDef = Readonly<Record<string, FieldDef>>

const EXTENSION_BLOCK: BlockListField = {
  kind: 'blockList',
  blockName: 'extension',
  minItems: 0,
  maxItems: 0,
  isWindowsOnly: true,
  doc: 'Sets a raw IIS configuration attribute by name; IIS schema attributes do not exist here.',
  nested: {
    name: { kind: 'attr', type: 'string', isRequired: true, doc: 'IIS attribute name.' },
    value: { kind: 'attr', type: 'string', isRequired: true, doc: 'IIS attribute value.' },
  },
}

const APPLICATION_POOL_OBJECT: ObjectDef = {
  name: {
    kind: 'attr',
    type: 'string',
    defaultValue: 'default',
    doc: 'Short name applications refer to; at most 8 characters.',
  },
  managed_pipeline_mode: {
    kind: 'attr',
    type: 'string',
    oneOf: ['Integrated', 'Classic'],
    isWindowsOnly: true,
    doc: 'ASP.NET pipeline mode of the worker.',
  },
  managed_runtime_version: {
    kind: 'attr',
    type: 'string',
    oneOf: ['v4.0', 'v2.0', 'None'],
    isWindowsOnly: true,
    doc: '.NET Framework version loaded into the worker.',
  },
  start_mode: {
    kind: 'attr',
    type: 'string',
    oneOf: ['OnDemand', 'AlwaysRunning'],
    doc: 'OnDemand starts the worker on the first request; AlwaysRunning at once. Default OnDemand.',
  },
  idle_timeout: {
    kind: 'attr',
    type: 'string',
    isDuration: true,
    doc: 'A worker without requests for this long is stopped; 0 never. Default 20m.',
  },
  disable_overlapped_recycle: {
    kind: 'attr',
    type: 'bool',
    doc: 'When true a recycle stops the old worker before starting the new one. Default false.',
  },
  periodic_restart: {
    kind: 'attr',
    type: 'string',
    isDuration: true,
    doc: 'Recycles the pool this often; 0 never. Default 29h (1740 minutes).',
  },
  enable_32bit_app_on_win64: {
    kind: 'attr',
    type: 'bool',
    isWindowsOnly: true,
    doc: 'Runs a 32-bit worker on 64-bit Windows.',
  },
  service_unavailable_response: {
    kind: 'attr',
    type: 'string',
    oneOf: ['HttpLevel', 'TcpLevel'],
    doc: 'A stopped pool answers 503 (HttpLevel) or drops the connection (TcpLevel). Default HttpLevel.',
  },
  queue_length: {
    kind: 'attr',
    type: 'number',
    doc: 'Requests waiting for a worker beyond this many get 503 at once. Default 1000.',
  },
  max_processes: {
    kind: 'attr',
    type: 'number',
    here: 'Static workers only: connections are shared round-robin; each hosted program still runs once.',
    doc: 'Worker processes serving the pool at once (IIS processModel.maxProcesses, a web garden above 1). Default 1.',
  },
  start_time_limit: {
    kind: 'attr',
    type: 'string',
    isDuration: true,
    doc: 'A worker not ready within this long is killed and counts as a crash. Default 90s.',
  },
  shutdown_time_limit: {
    kind: 'attr',
    type: 'string',
    isDuration: true,
    doc: 'A stopping worker still busy after this long is killed. Default 90s.',
  },
  identity: {
    kind: 'attr',
    type: 'string',
    oneOf: [
      'ApplicationPoolIdentity',
      'LocalSystem',
      'LocalService',
      'NetworkService',
      'SpecificUser',
    ],
    isWindowsOnly: true,
    doc: 'Windows account the worker runs as; checked against allowed_apppool_identities.',
  },
  username: {
    kind: 'attr',
    type: 'string',
    isWindowsOnly: true,
    doc: 'Account for identity = SpecificUser; checked against allowed_apppool_users.',
  },
  password: {
    kind: 'attr',
    type: 'string',
    isWindowsOnly: true,
    doc: 'Password for identity = SpecificUser.',
  },
  extensions: EXTENSION_BLOCK,
}

const VIRTUAL_DIRECTORY_OBJECT: ObjectDef = {
  alias: {
    kind: 'attr',
    type: 'string',
    isRequired: true,
    doc: 'URL path below the application, e.g. `docs`.',
  },
  path: {
    kind: 'attr',
    type: 'string',
    isRequired: true,
    doc: 'Folder served there; relative paths start at the task directory.',
  },
  extensions: EXTENSION_BLOCK,
}

/** Ours: a program the application runs, for apps without a web.config. */
const PROGRAM_OBJECT: ObjectDef = {
  command: {
    kind: 'attr',
    type: 'string',
    isRequired: true,
    doc: 'The program to run; a relative path starts at the application folder, a bare name is looked up on PATH.',
  },
  args: {
    kind: 'attr',
    type: 'list(string)',
    doc: 'Its arguments; `%NAME%` becomes that environment variable, so `%PORT%` is the port it was given.',
  },
  port_env: {
    kind: 'attr',
    type: 'string',
    defaultValue: 'PORT',
    doc: 'The environment variable that tells the program the loopback port to listen on. Default PORT.',
  },
}

const APPLICATION_OBJECT: ObjectDef = {
  path: {
    kind: 'attr',
    type: 'string',
    isRequired: true,
    doc: 'Folder with the application files; relative paths start at the task directory. An empty folder gets the placeholder app.',
  },
  alias: {
    kind: 'attr',
    type: 'string',
    doc: 'URL path of the application below the site; unset or `/` is the root application.',
  },
  application_pool: {
    kind: 'attr',
    type: 'string',
    defaultValue: 'default',
    doc: 'Name of the application pool that serves this application.',
  },
  enable_preload: {
    kind: 'attr',
    type: 'bool',
    doc: 'Starts the pool worker with the site instead of on the first request.',
  },
  service_auto_start_enabled: {
    kind: 'attr',
    type: 'bool',
    isWindowsOnly: true,
    doc: 'IIS service auto-start of the application.',
  },
  service_auto_start_provider: {
    kind: 'attr',
    type: 'string',
    isWindowsOnly: true,
    doc: 'IIS service auto-start provider name.',
  },
  virtual_directories: {
    kind: 'blockList',
    blockName: 'virtual_directory',
    minItems: 0,
    maxItems: 0,
    nested: VIRTUAL_DIRECTORY_OBJECT,
    doc: 'Folders served at a path below the application.',
  },
  programs: {
    kind: 'blockList',
    blockName: 'program',
    minItems: 0,
    maxItems: 1,
    nested: PROGRAM_OBJECT,
    here: 'Ours: the site host runs the program and proxies the application to it, as for a web.config that names one.',
    doc: 'A program that serves the application on a port it is given, for apps without a web.config.',
  },
  extensions: EXTENSION_BLOCK,
}

const CERTIFICATE_OBJECT: ObjectDef = {
  thumbprint: { kind: 'attr', type: 'string', doc: 'Hash of a certificate in the machine store.' },
  pfx_file: { kind: 'attr', type: 'string', doc: 'A .pfx certificate file.' },
  password: { kind: 'attr', type: 'string', doc: 'Password of the .pfx file.' },
  cert_file: { kind: 'attr', type: 'string', doc: 'A PEM certificate file (with key_file).' },
  key_file: { kind: 'attr', type: 'string', doc: 'A PEM PKCS#8 private key file.' },
  use_self_signed: { kind: 'attr', type: 'bool', doc: 'Generate a self-signed certificate.' },
}

const BINDING_OBJECT: ObjectDef = {
  type: {
    kind: 'attr',
    type: 'string',
    isRequired: true,
    oneOf: ['http', 'https'],
    doc: 'Protocol: `http` (https is refused for now).',
  },
  port: {
    kind: 'attr',
    type: 'string',
    isRequired: true,
    doc: 'A port label of the group network block, or a static port number such as "8080".',
  },
  hostname: {
    kind: 'attr',
    type: 'string',
    doc: 'Host header a request must carry; others get 400 "Invalid Hostname".',
  },
  require_sni: {
    kind: 'attr',
    type: 'bool',
    isWindowsOnly: true,
    doc: 'Require Server Name Indication on an https binding.',
  },
  ip_address: {
    kind: 'attr',
    type: 'string',
    doc: 'Address to listen on. Default: all interfaces.',
  },
  certificates: {
    kind: 'blockList',
    blockName: 'certificate',
    minItems: 0,
    maxItems: 1,
    nested: CERTIFICATE_OBJECT,
    here: 'accepted; https bindings are refused for now',
    doc: 'Certificate of an https binding.',
  },
}

/**
 * The task config: what a job writes in `task { driver = "iis" config { } }`.
 * `applicationPool` is the IIS driver's block name; `application_pool` is
 * accepted as well and the two lists are merged.
 */
export const TASK_CONFIG_DEF: ObjectDef = {
  target_website: {
    kind: 'attr',
    type: 'string',
    here: 'refused with an error',
    doc: 'Add the applications to an existing website. Refused here: every site belongs to a task.',
  },
  applicationPools: {
    kind: 'blockList',
    blockName: 'applicationPool',
    minItems: 0,
    maxItems: 0,
    nested: APPLICATION_POOL_OBJECT,
    doc: 'Application pools (the IIS driver spelling). A `default` pool exists when none is named so.',
  },
  application_pools: {
    kind: 'blockList',
    blockName: 'application_pool',
    minItems: 0,
    maxItems: 0,
    nested: APPLICATION_POOL_OBJECT,
    doc: 'Same as `applicationPool`, in snake case.',
  },
  applications: {
    kind: 'blockList',
    blockName: 'application',
    minItems: 1,
    maxItems: 0,
    nested: APPLICATION_OBJECT,
    doc: 'Applications of the site; at least one.',
  },
  permit_iusr: {
    kind: 'attr',
    type: 'bool',
    defaultValue: true,
    isWindowsOnly: true,
    doc: 'Grant the IUSR account access to the task directory.',
  },
  bindings: {
    kind: 'blockList',
    blockName: 'binding',
    minItems: 0,
    maxItems: 0,
    nested: BINDING_OBJECT,
    doc: 'Where the site listens; at least one is needed to reach it.',
  },
}

const PROCDUMP_OBJECT: ObjectDef = {
  binary_path: {
    kind: 'attr',
    type: 'string',
    defaultValue: '/usr/bin/procdump',
    doc: 'The procdump executable (Sysinternals ProcDump for Linux).',
  },
  accept_eula: {
    kind: 'attr',
    type: 'bool',
    defaultValue: false,
    doc: "Accept procdump's licence; dumps are refused until this is true.",
  },
}

const MANAGEMENT_API_OBJECT: ObjectDef = {
  max_body_bytes: {
    kind: 'attr',
    type: 'number',
    doc: 'Largest upload body the Management API accepts. Default 4 GiB.',
  },
  max_zip_entries: {
    kind: 'attr',
    type: 'number',
    doc: 'Most entries an uploaded ZIP may hold. Default 100000.',
  },
  max_uncompressed_bytes: {
    kind: 'attr',
    type: 'number',
    doc: 'Most bytes an uploaded ZIP may expand to. Default 16 GiB.',
  },
  max_compression_ratio: {
    kind: 'attr',
    type: 'number',
    doc: 'Highest expansion ratio of an uploaded ZIP past 64 MiB. Default 1000.',
  },
  screenshot_timeout: {
    kind: 'attr',
    type: 'string',
    isDuration: true,
    doc: 'How long a screenshot may take. Default 30s.',
  },
  procdump_timeout: {
    kind: 'attr',
    type: 'string',
    isDuration: true,
    doc: 'How long a process dump may take. Default 2m.',
  },
}

/** The agent config: `plugin "nomad_iis" { config { } }` in the Nomad client's config. */
export const DRIVER_CONFIG_DEF: ObjectDef = {
  enabled: {
    kind: 'attr',
    type: 'bool',
    defaultValue: true,
    doc: 'When false the driver fingerprints as undetected and runs no task.',
  },
  fingerprint_interval: {
    kind: 'attr',
    type: 'string',
    defaultValue: '30s',
    isDuration: true,
    doc: 'How often the driver reports its health to Nomad.',
  },
  directory_security: {
    kind: 'attr',
    type: 'bool',
    defaultValue: true,
    isWindowsOnly: true,
    doc: 'Set NTFS permissions on the alloc directory for the pool identity.',
  },
  allowed_target_websites: {
    kind: 'attr',
    type: 'list(string)',
    doc: 'Websites a task may name as target_website (`*` for any).',
  },
  allowed_apppool_identities: {
    kind: 'attr',
    type: 'list(string)',
    doc: 'Pool identities a task may ask for. Default ["ApplicationPoolIdentity"].',
  },
  allowed_apppool_users: {
    kind: 'attr',
    type: 'list(string)',
    doc: 'Accounts a task may name with identity = SpecificUser (`*` for any).',
  },
  placeholder_app_path: {
    kind: 'attr',
    type: 'string',
    doc: 'Folder copied into an empty application folder. Default: a page of our own.',
  },
  procdumps: {
    kind: 'blockList',
    blockName: 'procdump',
    minItems: 0,
    maxItems: 1,
    nested: PROCDUMP_OBJECT,
    doc: 'Process dumps through the Management API.',
  },
  state_dir: {
    kind: 'attr',
    type: 'string',
    defaultValue: '/var/lib/nomad-iis',
    doc: 'Where site hosts keep their registry, control sockets and exit records.',
  },
  chromium_path: {
    kind: 'attr',
    type: 'string',
    defaultValue: '/usr/bin/chromium',
    doc: 'Chromium used for screenshots by the Management API.',
  },
  management_apis: {
    kind: 'blockList',
    blockName: 'management_api',
    minItems: 0,
    maxItems: 1,
    nested: MANAGEMENT_API_OBJECT,
    doc: "Limits of the Management API's uploads, screenshots and dumps; unset keys keep its defaults.",
  },
}
