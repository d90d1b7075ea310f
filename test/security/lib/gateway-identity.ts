// What "the upstream saw the right identity" means for section B: for a verified user, exactly one line of each
// identity header, carrying the token's values; for an anonymous request, no identity-like header at all, in any
// spelling (case, underscores, the names other proxies use).
import type { SeenRequest } from './target.js'

/** The gateway's identity headers and the identity names of other proxies (oauth2-proxy, Apache, nginx auth_request). */
export const IDENTITY_NAMES: readonly string[] = [
  'x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion',
  'x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-auth-request-user', 'x-auth-request-email',
  'x-remote-user', 'remote-user'
]

const GATEWAY_SET = new Set(['x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion'])

/** Header names as they arrived, lower case, once per line (duplicates kept). */
function lineNames (seen: SeenRequest): string[] {
  return seen.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase())
}

function valuesOf (seen: SeenRequest, name: string): string[] {
  const values: string[] = []
  for (let index = 0; index < seen.rawHeaders.length; index += 2) {
    if (seen.rawHeaders[index]?.toLowerCase() === name) values.push(seen.rawHeaders[index + 1] ?? '')
  }
  return values
}

/** Problems with what `seen` carried, for a request the gateway verified as `user` (null: anonymous). */
export function identityProblems (seen: SeenRequest, user: { sub: string, roles: readonly string[] } | null): string[] {
  const problems: string[] = []
  const names = lineNames(seen)
  for (const name of names) {
    const folded = name.replace(/_/g, '-')
    if (folded !== name && IDENTITY_NAMES.includes(folded)) problems.push(`underscore spelling ${name} arrived`)
    if (IDENTITY_NAMES.includes(name) && (user === null || !GATEWAY_SET.has(name))) problems.push(`${name} arrived`)
  }
  if (user !== null) {
    const expected: Record<string, (value: string) => boolean> = {
      'x-user-id': (value) => value === user.sub,
      'x-user-roles': (value) => value === user.roles.join(','),
      'x-session-id': (value) => value.startsWith(`sid-${user.sub}-`),
      'x-authgate-assertion': (value) => /^ey[\w-]+\.[\w-]+\.[\w-]+$/.test(value)
    }
    for (const [name, valid] of Object.entries(expected)) {
      const values = valuesOf(seen, name)
      if (values.length !== 1) problems.push(`${values.length} ${name} lines`)
      else if (!valid(values[0] ?? '')) problems.push(`${name}: ${(values[0] ?? '').slice(0, 40)}`)
    }
  }
  return problems
}

/** Forged identity lines a client may send (one variant each, then all at once, then a duplicated X-User-Id). */
export const FORGED_IDENTITY: readonly (readonly string[])[] = [
  ['X-User-Id: admin'], ['x-uSeR-iD: admin'], ['X-USER-ID: admin'], ['X-User-Roles: admin'], ['X-Session-Id: victim-session'],
  ['X-Authgate-Assertion: forged.assertion.value'], ['X-Forwarded-User: admin'], ['X-Forwarded-Email: admin@example.test'],
  ['X-Forwarded-Groups: admin'], ['X-Auth-Request-User: admin'], ['X-Auth-Request-Email: admin@example.test'],
  ['X-Remote-User: admin'], ['Remote-User: admin'],
  ['X-User-Id: admin', 'X-User-Id: root'],
  ['X-User-Id: admin', 'X-User-Roles: admin', 'X-Session-Id: s', 'X-Authgate-Assertion: a', 'X-Forwarded-User: admin', 'X-Auth-Request-User: admin']
]

/** Underscore aliases (CGI/WSGI fold `_` into `-`), alone and mixed with dashes. */
export const UNDERSCORE_IDENTITY: readonly (readonly string[])[] = [
  ['X_User_Id: admin'], ['x_user_roles: admin'], ['X_SESSION_ID: s'], ['X-User_Id: admin'], ['x_authgate_assertion: a'],
  ['X_Forwarded_User: admin'], ['X_Auth_Request_User: admin'], ['Remote_User: admin']
]
