// `auth.verifyPath`: where the forward-auth endpoint answers (forward-auth.ts). It stays under the auth prefix, where
// no configured route can be (config/routes.ts), so it never shadows an upstream path; `false` turns it off.
import { hasDotSegment } from './dot-segments.js'
import { DEFAULT_VERIFY_PATH } from './schema.js'
import type { Report } from './types.js'

/** The plugin's own paths under the auth prefix: the endpoint cannot take one of them. */
const PLUGIN_PATHS = ['register', 'login', 'refresh', 'logout', 'logout-all', 'sessions', 'me']
const PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/

/** `auth.verifyPath` after the schema (a string, or a boolean: `true` is the default path). */
export function readVerifyPath (value: string | boolean, authPrefix: string, report: Report): string | false {
  // AUTHGATE_AUTH_VERIFY_PATH=false arrives as text: the schema takes a string here too.
  if (value === false || value === 'false') return false
  const path = value === true ? DEFAULT_VERIFY_PATH : value
  const rest = path.startsWith(`${authPrefix}/`) ? path.slice(authPrefix.length + 1) : ''
  if (!PATH.test(path) || rest === '' || hasDotSegment(path)) {
    report('auth.verifyPath', `must be a plain path under ${authPrefix}/ (like ${DEFAULT_VERIFY_PATH}), or false`)
  } else if (PLUGIN_PATHS.includes(rest.split('/')[0] as string)) {
    report('auth.verifyPath', `${path} is an authgate endpoint already`)
  }
  return path
}
