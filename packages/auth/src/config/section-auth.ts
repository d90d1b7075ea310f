// `auth`: where the endpoints live and who may use them. These were top-level plugin options; aliases.ts keeps the
// old spellings working.
import { Type, type TObject } from '@sinclair/typebox'
import { OneOf, OrFalse, Strict } from './kinds.js'

export const AUTH_PREFIX_PATTERN = '^(/[A-Za-z0-9._~-]+)+$'
export const DEFAULT_PREFIX = '/auth'
/** Roles of a newly registered user unless `auth.defaultRoles` says otherwise. */
export const DEFAULT_ROLES: readonly string[] = Object.freeze(['user'])
const ORIGIN = { type: 'string', minLength: 1 } as const

export function authSection (): TObject {
  return Type.Object({
    prefix: Type.String({ pattern: AUTH_PREFIX_PATTERN, default: DEFAULT_PREFIX, description: 'Route prefix of the auth endpoints and the Path of the refresh cookie.' }),
    jwksPath: OrFalse(Type.String({ pattern: '^/' }), 'Where the JWKS is served; false: not served. Default /.well-known/jwks.json.', 'must be a path starting with / or false', '/.well-known/jwks.json'),
    registration: Type.Boolean({ default: true, description: 'POST {prefix}/register on or off.' }),
    defaultRoles: Type.Array(Type.String({ minLength: 1 }), { default: [...DEFAULT_ROLES], description: 'Roles of a newly registered user.' }),
    allowedOrigins: Type.Array(Type.Unsafe<string>({ ...ORIGIN, description: 'scheme://host[:port]' }), { default: [], description: 'Origins allowed to call the cookie endpoints cross-origin.' }),
    publicOrigin: Type.Optional(OrFalse(Type.Unsafe<string>({ ...ORIGIN }), 'The origin browsers reach this app at, for the cross-site check of the cookie endpoints. Default: the Host header; false: only allowedOrigins pass.', 'must be an origin (scheme://host[:port]) or false')),
    reuseDetection: OneOf(['revoke', 'report'] as const, 'On refresh-token reuse: revoke the session, or only emit refreshReuse.', 'revoke')
  }, { ...Strict, description: 'The auth endpoints.' })
}
