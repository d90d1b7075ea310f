// `auth`: where the endpoints live and who may use them. These were top-level plugin options; aliases.ts keeps the
// old spellings working.
import { Type, type TObject } from '@sinclair/typebox'
import { DurationKey, OneOf, OrFalse, Strict } from '../config/kinds.js'

export const AUTH_PREFIX_PATTERN = '^(/[A-Za-z0-9._~-]+)+$'
export const DEFAULT_PREFIX = '/auth'
/** Roles of a newly registered user unless `auth.defaultRoles` says otherwise. */
export const DEFAULT_ROLES: readonly string[] = Object.freeze(['user'])
const ORIGIN = { type: 'string', minLength: 1 } as const
export const DEFAULT_RESET_TTL = '15m'
export const DEFAULT_VERIFY_TTL = '24h'
/** A path of the application's own pages; the token follows in the fragment (#token=…). */
const LINK_PATH = '^/[^?#\\s]*$'

export function authSection (): TObject {
  return Type.Object({
    prefix: Type.String({ pattern: AUTH_PREFIX_PATTERN, default: DEFAULT_PREFIX, description: 'Route prefix of the auth endpoints and the Path of the refresh cookie.' }),
    jwksPath: OrFalse(Type.String({ pattern: '^/' }), 'Where the JWKS is served; false: not served. Default /.well-known/jwks.json.', 'must be a path starting with / or false', '/.well-known/jwks.json'),
    registration: Type.Boolean({ default: true, description: 'POST {prefix}/register on or off.' }),
    defaultRoles: Type.Array(Type.String({ minLength: 1 }), { default: [...DEFAULT_ROLES], description: 'Roles of a newly registered user.' }),
    allowedOrigins: Type.Array(Type.Unsafe<string>({ ...ORIGIN, description: 'scheme://host[:port]' }), { default: [], description: 'Origins allowed to call the cookie endpoints cross-origin.' }),
    publicOrigin: Type.Optional(OrFalse(Type.Unsafe<string>({ ...ORIGIN }), 'The origin browsers reach this app at, for the cross-site check of the cookie endpoints. Default: the Host header; false: only allowedOrigins pass.', 'must be an origin (scheme://host[:port]) or false')),
    requireVerifiedEmail: Type.Boolean({ default: false, description: 'Login refuses accounts whose email is not verified (403 AUTH_EMAIL_UNVERIFIED, answered only after the password verified). Needs the built-in users and publicOrigin.' }),
    resetTtl: DurationKey({ min: 60_000, max: 86_400_000 }, 'Lifetime of a password-reset link. Between 1m and 24h.', DEFAULT_RESET_TTL),
    verifyTtl: DurationKey({ min: 60_000, max: 30 * 86_400_000 }, 'Lifetime of an email-verification link. Between 1m and 30d.', DEFAULT_VERIFY_TTL),
    resetLinkPath: Type.String({ pattern: LINK_PATH, 'x-expect': 'must be a path starting with / (no query or fragment)', default: '/reset-password', description: 'Page of the reset link: publicOrigin + this path + #token=…' }),
    verifyLinkPath: Type.String({ pattern: LINK_PATH, 'x-expect': 'must be a path starting with / (no query or fragment)', default: '/verify-email', description: 'Page of the verification link: publicOrigin + this path + #token=…' }),
    reuseDetection: OneOf(['revoke', 'report'] as const, 'On refresh-token reuse: revoke the session, or only emit refreshReuse.', 'revoke')
  }, { ...Strict, description: 'The auth endpoints.' })
}
