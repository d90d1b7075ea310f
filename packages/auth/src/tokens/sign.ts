// Signing access tokens and gateway assertions with the signing key, through fast-jwt signers built once.
import { randomBytes } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { AuthError } from '../errors.js'
import { isIdentifier, isRoleList } from './claims.js'
import { ACCESS_TYP, ASSERTION_TYP } from './header.js'
import type { NormalisedTokenOptions } from './options.js'
import type { AccessClaims, SignedAccessToken, SignInput } from './types.js'

export const DEFAULT_ASSERTION_TTL = 30
const MAX_ASSERTION_TTL = 300

type RawSigner = (payload: Record<string, unknown>) => string

export interface Signers {
  sign: (input: SignInput) => SignedAccessToken
  signAssertion: (claims: AccessClaims, audience: string, ttlSeconds?: number) => string
}

/** An own string `email` claim of the verified claims (never one from the prototype chain). */
function assertedEmail (claims: AccessClaims): string | undefined {
  const email = Object.hasOwn(claims, 'email') ? (claims as unknown as { email: unknown }).email : undefined
  return typeof email === 'string' && email.length > 0 && email.length <= 320 ? email : undefined
}

export function createSigners (options: NormalisedTokenOptions): Signers {
  const key = options.signing
  const build = (typ: string): RawSigner | undefined => key?.signKey === undefined
    ? undefined
    // `typ` goes through `header` (fast-jwt's types lack its `typ` option); the header stays {alg, typ, kid}.
    : createSigner<Record<string, unknown>>({ key: key.signKey, algorithm: key.algorithm, kid: key.kid, header: { alg: key.algorithm, typ } })
  const accessSigner = build(ACCESS_TYP)
  const assertionSigner = build(ASSERTION_TYP)
  // Assertions are signed per proxied request: reuse one for the same verified claims and audience while more
  // than half of its lifetime is left. Keyed by the frozen claims object the verifier memoises per token.
  const assertions = new WeakMap<AccessClaims, Map<string, { token: string, ttl: number, renewAt: number }>>()

  function sign (input: SignInput): SignedAccessToken {
    if (accessSigner === undefined) throw new AuthError('AUTH_KEYS_UNAVAILABLE', { retryAfter: 5 })
    if (!isIdentifier(input.sub)) throw new TypeError('sign: sub must be a non-empty string without control characters')
    if (!isIdentifier(input.sid)) throw new TypeError('sign: sid must be a non-empty string without control characters')
    if (!isRoleList(input.roles)) throw new TypeError('sign: roles must be an array of role names (no commas or control characters)')
    const ttl = input.ttlSeconds ?? options.accessTtl
    if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > options.maxTtl) {
      throw new RangeError(`sign: ttlSeconds must be a whole number of seconds between 1 and ${options.maxTtl} (tokens.maxTtl)`)
    }
    const iat = Math.floor(Date.now() / 1000)
    const claims: AccessClaims = {
      sub: input.sub,
      sid: input.sid,
      roles: input.roles.slice(),
      iat,
      exp: iat + ttl,
      iss: options.issuer,
      aud: options.audience,
      jti: randomBytes(16).toString('base64url'),
      ...(input.emailVerified === undefined ? {} : { email_verified: input.emailVerified })
    }
    return { token: accessSigner({ ...claims }), expiresIn: ttl, claims }
  }

  function signAssertion (claims: AccessClaims, audience: string, ttlSeconds = DEFAULT_ASSERTION_TTL): string {
    if (assertionSigner === undefined) throw new AuthError('AUTH_KEYS_UNAVAILABLE', { retryAfter: 5 })
    if (typeof audience !== 'string' || audience.length === 0) throw new TypeError('signAssertion: audience must be a non-empty string')
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ASSERTION_TTL) {
      throw new RangeError(`signAssertion: ttlSeconds must be a whole number between 1 and ${MAX_ASSERTION_TTL}`)
    }
    const now = Date.now()
    // Only frozen claims (the verifier's) can be memoised by identity: a mutable object may change between calls.
    const reusable = Object.isFrozen(claims)
    const byAudience = reusable ? assertions.get(claims) : undefined
    const cached = byAudience?.get(audience)
    if (cached !== undefined && cached.ttl === ttlSeconds && now < cached.renewAt) return cached.token

    // Never outlive the access token it vouches for, and always exp > iat: a token accepted within the clock
    // tolerance after its exp is vouched for up to its own exp only, with iat moved back to one second before it.
    // (exp <= iat would read as malformed to an upstream, or as valid forever to a careless one.)
    const iat = Math.min(Math.floor(now / 1000), claims.exp - 1)
    const exp = Math.min(iat + ttlSeconds, claims.exp)
    const payload: Record<string, unknown> = { iss: options.issuer, aud: audience, sub: claims.sub, sid: claims.sid, roles: claims.roles, iat, exp }
    // The email, when the verified claims know it (issue #14: external issuers map one): upstreams then need no lookup.
    const email = assertedEmail(claims)
    if (email !== undefined) payload.email = email
    const token = assertionSigner(payload)
    if (reusable) {
      const entries = byAudience ?? new Map<string, { token: string, ttl: number, renewAt: number }>()
      if (byAudience === undefined) assertions.set(claims, entries)
      entries.set(audience, { token, ttl: ttlSeconds, renewAt: (iat * 1000) + (exp - iat) * 500 })
    }
    return token
  }

  return { sign, signAssertion }
}
