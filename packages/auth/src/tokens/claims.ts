// The shape an access token's claims must have, checked after the signature, once per distinct token (the result
// is memoised by the verifier). Checked again when signing, so authgate never mints a token it would refuse.
import type { AccessClaims } from './types.js'

// Identifiers and roles end up in forwarded headers and logs: no control characters (CR/LF would be header
// injection), and no commas in roles because the gateway forwards them comma-joined.
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const IDENTIFIER = /^[^\x00-\x1f\x7f]{1,1024}$/
/** The longest role name; config schemas that take role names use it too. */
export const MAX_ROLE_LENGTH = 128
const ROLE = new RegExp(`^[^\\x00-\\x1f\\x7f,]{1,${MAX_ROLE_LENGTH}}$`)
export const MAX_ROLES = 100
const NO_ROLES = Object.freeze([]) as unknown as string[]

export function isIdentifier (value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER.test(value)
}

/** One role name as a token may carry it (1 to 128 characters, no commas or control characters). */
export function isRoleName (value: unknown): value is string {
  return typeof value === 'string' && ROLE.test(value)
}

export function isRoleList (value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= MAX_ROLES && value.every(isRoleName)
}

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

export interface ClaimRules {
  issuer: string
  audience: string
  /** Seconds. */
  maxTtl: number
}

/**
 * Returns frozen claims holding only the eight known members (and a boolean `email_verified`), or undefined when any of them is wrong. Nothing else
 * of the payload is copied, so `__proto__`, `constructor` or marker claims can never reach a header or a response.
 */
export function readClaims (payload: Record<string, unknown>, rules: ClaimRules): AccessClaims | undefined {
  const { sub, sid, roles, iat, exp, iss, aud, jti } = payload
  const verified = payload.email_verified
  if (!isIdentifier(sub) || !isIdentifier(sid) || !isIdentifier(jti)) return undefined
  // fast-jwt already matched iss/aud, but accepts an aud array that merely contains ours: ours is always a string.
  if (iss !== rules.issuer || aud !== rules.audience) return undefined
  // A long-lived token (exp far ahead, e.g. milliseconds taken for seconds) is refused even when maxAge would
  // let its first minutes through.
  if (!isTime(iat) || !isTime(exp) || exp <= iat || exp - iat > rules.maxTtl) return undefined
  let roleList: string[]
  if (roles === undefined) {
    roleList = NO_ROLES
  } else if (isRoleList(roles)) {
    roleList = Object.freeze(roles.slice()) as string[]
  } else {
    return undefined
  }
  return Object.freeze({ sub, sid, roles: roleList, iat, exp, iss, aud, jti, ...(typeof verified === 'boolean' ? { email_verified: verified } : {}) })
}
