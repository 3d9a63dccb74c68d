/** go-plugin's handshake cookie as Nomad sets it for driver plugins. */
export const MAGIC_COOKIE_KEY = 'NOMAD_PLUGIN_MAGIC_COOKIE'
export const MAGIC_COOKIE_VALUE = 'e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255'

/** True when the environment carries Nomad's plugin cookie. */
export function isStartedByNomad(env: NodeJS.ProcessEnv): boolean {
  return env[MAGIC_COOKIE_KEY] === MAGIC_COOKIE_VALUE
}
