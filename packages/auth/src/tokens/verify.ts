// Access-token verification: synchronous, never throws, cheap on the hot path (every proxied request).
//
// One fast-jwt verifier per configured key, built at start-up. The key is selected from the header by `kid` among
// configured keys only; each verifier pins its key's single algorithm and checks iss/aud (exact strings, never
// RegExp), typ, the required claims, maxAge and the clock tolerance. Checks fast-jwt does not make (future `iat`,
// `exp - iat`, identifier and role shapes) follow.
//
// Verified tokens are kept by their exact text (a Map, bounded, oldest evicted first), in front of fast-jwt: a
// repeated token costs one Map lookup and a clock read. fast-jwt's own cache is off because its key is a SHA-512 of
// the token, computed on every request (≈ 11 µs of the 15 µs auth path in docs/profiling.md); an exact-string key
// cannot collide, needs no hashing, and failures are never stored (an invalid-token flood cannot evict valid
// entries or grow the heap). The map lives in this closure, so a rebuilt key set (rotation) starts empty.
import { createVerifier } from 'fast-jwt'
import { AuthError } from '../errors.js'
import { readClaims } from './claims.js'
import { ACCESS_TYP, UNKNOWN_KID, canonicalBytes, createKeySelector, decodeJsonObject } from './header.js'
import type { NormalisedTokenOptions } from './options.js'
import type { AccessAlgorithm, VerifyOutcome } from './types.js'

/** Longer than any token authgate issues; refused before any parsing or hashing. */
export const MAX_TOKEN_LENGTH = 8192
/** Verified tokens kept; fast-jwt's default of 1000 would be too few for a gateway with more active users. */
const VERIFIED_CACHE_SIZE = 10_000
const REQUIRED_CLAIMS = ['sub', 'sid', 'exp', 'iat', 'iss', 'aud', 'jti']

export interface VerifierSlot {
  kid: string
  algorithm: AccessAlgorithm
  verify: (token: string) => unknown
}

type Success = Extract<VerifyOutcome, { ok: true }>

/**
 * fast-jwt verifiers by kid, kept across rebuilds of the key set (the key ring), so an unchanged key is not parsed
 * again. Only valid for rebuilds with the same issuer, audience, maxTtl and tolerance.
 */
export type VerifierCache = Map<string, VerifierSlot & { verifyKey: string | Buffer }>

/**
 * Whether the key set in use holds every key that can have signed a live token of ours, so a kid it lacks was never
 * ours or was dropped (a compromised key after `keys retire --kid`). Always true for a static key set; for the key
 * ring, true only while its reads are recent enough to know every key that can sign (key-ring-service.ts).
 */
export type KeySetComplete = () => boolean

const ALWAYS_COMPLETE: KeySetComplete = () => true

export function createTokenVerifier (options: NormalisedTokenOptions, cache?: VerifierCache, keySetComplete = ALWAYS_COMPLETE): (token: string) => VerifyOutcome {
  const toleranceMs = options.clockTolerance * 1000
  const rules = { issuer: options.issuer, audience: options.audience, maxTtl: options.maxTtl }
  const slots: VerifierSlot[] = options.keys.map((key) => {
    const kept = cache?.get(key.kid)
    if (kept !== undefined && kept.algorithm === key.algorithm && sameKey(kept.verifyKey, key.verifyKey)) return kept
    return { kid: key.kid, algorithm: key.algorithm, verify: buildVerifier(key.verifyKey, key.algorithm) }
  })
  if (cache !== undefined) {
    // The cache holds exactly the current keys: a dropped key's verifier (and its token cache) is freed.
    cache.clear()
    options.keys.forEach((key, index) => { cache.set(key.kid, { ...(slots[index] as VerifierSlot), verifyKey: key.verifyKey }) })
  }

  function buildVerifier (verifyKey: string | Buffer, algorithm: AccessAlgorithm): (token: string) => unknown {
    const verifier = createVerifier({
      key: verifyKey,
      algorithms: [algorithm],
      allowedIss: options.issuer,
      allowedAud: options.audience,
      checkTyp: ACCESS_TYP,
      requiredClaims: REQUIRED_CLAIMS,
      maxAge: (options.maxTtl + options.clockTolerance) * 1000,
      clockTolerance: toleranceMs,
      cache: false
    }) as (token: string) => unknown
    return verifier
  }
  const selectKey = createKeySelector(slots)
  const verified = new Map<string, Success>()
  const noKeys = slots.length === 0

  return function verify (token) {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return failure('AUTH_TOKEN_INVALID')
    if (noKeys) return failure('AUTH_KEYS_UNAVAILABLE')
    const hit = verified.get(token)
    if (hit !== undefined) {
      // Only time can change the verdict on a token once verified: exp (and so maxAge, exp − iat ≤ maxTtl) and iat.
      const now = Date.now()
      if (now < hit.claims.exp * 1000 + toleranceMs && hit.claims.iat * 1000 <= now + toleranceMs) return hit
      verified.delete(token)
      if (now >= hit.claims.exp * 1000 + toleranceMs) return failure('AUTH_TOKEN_EXPIRED')
    }
    const dot = token.indexOf('.')
    if (dot < 1) return failure('AUTH_TOKEN_INVALID')
    const slot = selectKey(token.slice(0, dot))
    if (slot === undefined) return failure('AUTH_TOKEN_INVALID')
    if (slot === UNKNOWN_KID) return unknownKid(token, dot, toleranceMs, keySetComplete)

    let payload: unknown
    try {
      payload = slot.verify(token)
    } catch (error) {
      return failure(isExpiry(error) ? 'AUTH_TOKEN_EXPIRED' : 'AUTH_TOKEN_INVALID', error)
    }
    if (typeof payload !== 'object' || payload === null) return failure('AUTH_TOKEN_INVALID')

    // fast-jwt decodes leniently (U+FFFD for invalid UTF-8, spare base64 bits ignored); a payload that is not
    // strict UTF-8 JSON, or a non-canonical spelling of a valid token, is refused.
    const lastDot = token.lastIndexOf('.')
    if (decodeJsonObject(token.slice(dot + 1, lastDot)) === undefined || canonicalBytes(token.slice(lastDot + 1)) === undefined) {
      return failure('AUTH_TOKEN_INVALID')
    }
    const claims = readClaims(payload as Record<string, unknown>, rules)
    if (claims === undefined) return failure('AUTH_TOKEN_INVALID')
    // fast-jwt checks nbf, exp and maxAge but not an iat in the future (a token minted with a skewed clock).
    if (claims.iat * 1000 > Date.now() + toleranceMs) return failure('AUTH_TOKEN_INVALID')
    const outcome: Success = Object.freeze({ ok: true as const, claims })
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string)
    verified.set(token, outcome)
    return outcome
  }
}

/**
 * A header exactly like ours naming a kid no configured key has, on a token of our shape. With a complete key set its
 * key was never ours or was dropped (a compromised key after `keys retire --kid`): 401 AUTH_TOKEN_INVALID, so the
 * client refreshes silently instead of failing until the token expires. While the key set may lack a key that signs
 * (a key ring whose reads stopped: a rotation may have happened unseen) it is 503 (docs/design.md#keys: a key not yet
 * distributed is an outage, not a logout). The payload is unverified, so it only chooses between refusals: a token
 * whose `exp` has passed is dead whoever signed it, and "expired" sends a client to refresh, where a 503 would have
 * it retry forever.
 */
function unknownKid (token: string, dot: number, toleranceMs: number, keySetComplete: KeySetComplete): VerifyOutcome {
  const lastDot = token.lastIndexOf('.')
  if (lastDot === dot || token.indexOf('.', dot + 1) !== lastDot) return failure('AUTH_TOKEN_INVALID')
  const payload = decodeJsonObject(token.slice(dot + 1, lastDot))
  if (payload === undefined || canonicalBytes(token.slice(lastDot + 1)) === undefined || typeof payload.exp !== 'number') {
    return failure('AUTH_TOKEN_INVALID')
  }
  if (payload.exp * 1000 + toleranceMs <= Date.now()) return failure('AUTH_TOKEN_EXPIRED')
  return failure(keySetComplete() ? 'AUTH_TOKEN_INVALID' : 'AUTH_KEYS_UNAVAILABLE')
}

function failure (code: 'AUTH_TOKEN_INVALID' | 'AUTH_TOKEN_EXPIRED' | 'AUTH_KEYS_UNAVAILABLE', cause?: unknown): VerifyOutcome {
  // The library error is kept as `cause` for logs; its text never reaches a response body.
  return { ok: false, error: new AuthError(code, { cause, retryAfter: code === 'AUTH_KEYS_UNAVAILABLE' ? 5 : undefined }) }
}

function sameKey (a: string | Buffer, b: string | Buffer): boolean {
  return typeof a === 'string' || typeof b === 'string' ? a === b : a.equals(b)
}

function isExpiry (error: unknown): boolean {
  // FAST_JWT_EXPIRED covers both exp and maxAge; a forged token never gets here, its signature fails first.
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'FAST_JWT_EXPIRED'
}
