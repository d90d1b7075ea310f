// A verified external token's payload → the AccessClaims every front door uses (sub, roles, iss, aud, exp), through
// the issuer's `claims` mapping, frozen. External tokens have no authgate session: `sid` is '' (gateway: no
// x-session-id); they are revoked by subject instead (tokens/subject-revocation.ts), which needs a trustworthy `iat`.
// The payload's other top-level claims (`org_id`, `preferred_username`…) are kept beside them, bounded
// (extra-claims.ts), for the gateway's `headers.claims`; they never override a mapped member.
import { EXTERNAL_MAX_LIFETIME_S } from '../subject-revocation.js'
import { isIdentifier, isRoleList } from '../claims.js'
import type { AccessClaims } from '../types.js'
import { extraClaims } from './extra-claims.js'
import type { NormalisedTrustedIssuer } from './options.js'

const MAX_PROFILE_TEXT = 320
const NO_ROLES = Object.freeze([]) as unknown as string[]

/** The value at a dotted path, own properties only (`__proto__`, `constructor` are never walked into). */
export function readPath (payload: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = payload
  for (const step of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, step)) return undefined
    value = (value as Record<string, unknown>)[step]
  }
  return value
}

/** Roles from an array of strings, or one space-separated string (`scp`, `scope`); undefined when malformed. */
function readRoles (value: unknown): string[] | undefined {
  if (value === undefined) return NO_ROLES
  const list = typeof value === 'string' ? value.split(' ').filter((role) => role.length > 0) : value
  return isRoleList(list) ? Object.freeze(list.slice()) as string[] : undefined
}

function profileText (value: unknown): string | undefined {
  return isIdentifier(value) && value.length <= MAX_PROFILE_TEXT ? value : undefined
}

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/**
 * Claims, or undefined when the token must be refused: no usable sub, malformed roles (a role with a comma or a
 * control character cannot be forwarded, and dropping some would change the user's rights silently), iss/aud not
 * exactly the configured ones, no `iat` or one in the future (RFC 9068 requires it; without it a token cannot be
 * placed before or after a revocation of its user), or a lifetime beyond EXTERNAL_MAX_LIFETIME_S (it would outlive
 * the revocation entries kept for it).
 */
export function mapExternalClaims (payload: Record<string, unknown>, issuer: NormalisedTrustedIssuer, nowMs: number, toleranceMs: number): AccessClaims | undefined {
  const { iss, aud, exp, iat, jti } = payload
  // fast-jwt matched them already; exactness is restated here, where it is the whole point.
  if (iss !== issuer.issuer) return undefined
  if (aud !== issuer.audience && !(Array.isArray(aud) && aud.includes(issuer.audience))) return undefined
  if (!isTime(exp)) return undefined
  if (!isTime(iat) || iat * 1000 > nowMs + toleranceMs || exp - iat > EXTERNAL_MAX_LIFETIME_S) return undefined
  const sub = readPath(payload, issuer.claims.sub)
  if (!isIdentifier(sub)) return undefined
  const roles = issuer.claims.roles === undefined ? NO_ROLES : readRoles(readPath(payload, issuer.claims.roles))
  if (roles === undefined) return undefined
  const email = profileText(readPath(payload, issuer.claims.email))
  const name = profileText(readPath(payload, issuer.claims.name))
  return Object.freeze({
    ...extraClaims(payload),
    sub,
    sid: '',
    roles,
    iat,
    exp,
    iss: issuer.issuer,
    aud: issuer.audience,
    jti: isIdentifier(jti) ? jti : '',
    ...(email === undefined ? {} : { email }),
    ...(name === undefined ? {} : { name })
  })
}
