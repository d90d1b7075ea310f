// `auth.verifyPath`: where the forward-auth endpoint answers (forward-auth.ts). It stays under the auth prefix, where
// no configured route can be (config/routes.ts), so it never shadows an upstream path; `false` turns it off.
import type { Reader } from './reader.js'

/** The plugin's own paths under the auth prefix: the endpoint cannot take one of them. */
const PLUGIN_PATHS = ['register', 'login', 'refresh', 'logout', 'logout-all', 'sessions', 'me']
const PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/

export const DEFAULT_VERIFY_PATH = 'verify'

export function readVerifyPath (reader: Reader, value: unknown, authPrefix: string): string | false {
  if (value === false || value === 'false') return false
  const path = reader.string(value, 'auth.verifyPath', `${authPrefix}/${DEFAULT_VERIFY_PATH}`)
  const rest = path.startsWith(`${authPrefix}/`) ? path.slice(authPrefix.length + 1) : ''
  if (!PATH.test(path) || rest === '' || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    reader.fail('auth.verifyPath', `must be a plain path under ${authPrefix}/ (like ${authPrefix}/${DEFAULT_VERIFY_PATH}), or false`)
  }
  if (PLUGIN_PATHS.includes(rest.split('/')[0] as string)) reader.fail('auth.verifyPath', `${path} is an authgate endpoint already`)
  return path
}
