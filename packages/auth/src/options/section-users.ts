// `users`: who the users are. `builtin` is the users collection of the store; `upstream` is a legacy login service
// that keeps owning its users (users/legacy.ts). Code can instead give verifyCredentials/refreshUser (top level).
import { Type, type TObject } from '@sinclair/typebox'
import { DurationKey, OneOf, Strict } from '../config/kinds.js'
import { HTTP_URL_PATTERN } from './section-misc.js'

const DOT_PATH = '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$'
export const DEFAULT_RECHECK_INTERVAL = '5m'
export const DEFAULT_LEGACY_TIMEOUT = '5s'
export const RECHECK_INTERVAL_RANGE = { min: 0, max: 86_400_000 }

export function usersSection (): TObject {
  return Type.Object({
    source: OneOf(['builtin', 'upstream'] as const, '`builtin`: the users collection; `upstream`: a legacy login at url (sessions and devices stay ours).', 'builtin'),
    url: Type.Optional(Type.String({ pattern: HTTP_URL_PATTERN, 'x-expect': 'must be an http:// or https:// URL', description: 'upstream: the legacy login, POSTed {email, password}; a 2xx JSON answer names the user, anything else is wrong credentials, a timeout is 503.' })),
    map: Type.Optional(Type.Object({
      id: Type.String({ pattern: DOT_PATH, default: 'id', description: 'Dot path of the user id in the answer.' }),
      roles: Type.Optional(Type.String({ pattern: DOT_PATH, description: 'Dot path of the role list.' })),
      email: Type.Optional(Type.String({ pattern: DOT_PATH, description: 'Dot path of the email.' }))
    }, { ...Strict, description: 'upstream: where the answer holds the user\'s fields.' })),
    timeout: Type.Optional(DurationKey({ min: 100, max: 60_000 }, `upstream: longest wait for the legacy system (then 503). Default ${DEFAULT_LEGACY_TIMEOUT}.`)),
    refresh: Type.Optional(OneOf(['recheck', 'none'] as const, 'upstream: `recheck` asks lookupUrl who the user is now at refresh (default with lookupUrl); `none` keeps the login\'s roles for the whole session.')),
    lookupUrl: Type.Optional(Type.String({ pattern: HTTP_URL_PATTERN, 'x-expect': 'must be an http:// or https:// URL', description: 'upstream: POSTed {id} at refresh; 404/410 JSON means the user is gone (sessions revoked).' })),
    recheckInterval: Type.Optional(DurationKey(RECHECK_INTERVAL_RANGE, `upstream with refresh: recheck: at most one lookup per session this often. Default ${DEFAULT_RECHECK_INTERVAL}.`))
  }, { ...Strict, description: 'The user source.' })
}
