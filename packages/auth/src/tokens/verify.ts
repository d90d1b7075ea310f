// Access-token verification: synchronous, never throws, cheap on the hot path (every proxied request).
//
// One fast-jwt verifier per configured key, built at start-up with its cache on (PERF-NOTES.md: a cache hit costs
// 2.5 µs, a full EdDSA verification 111 µs). The key is selected from the header by `kid` among configured keys only;
// each verifier pins its key's single algorithm and checks iss/aud (exact strings, never RegExp), typ, the required
// claims, maxAge and the clock tolerance. Checks fast-jwt does not make (future `iat`, `exp - iat`, identifier and
// role shapes) follow, memoised per payload object: a fast-jwt cache hit returns the same payload object, so a
// repeated token costs two Map lookups and a clock read on top of fast-jwt's cache lookup, with no allocation.
import { createVerifier } from 'fast-jwt'
import { AuthError } from '../errors.js'
import { readClaims } from './claims.js'
import { ACCESS_TYP, canonicalBytes, createKeySelector, decodeJsonObject } from './header.js'
import type { NormalisedTokenOptions } from './options.js'
import type { AccessAlgorithm, VerifyOutcome } from './types.js'

/** Longer than any token authgate issues; refused before any parsing or hashing. */
export const MAX_TOKEN_LENGTH = 8192
// fast-jwt's default is 1000 tokens: too few for a gateway with more active users than that.
const VERIFIER_CACHE_SIZE = 10_000
const REQUIRED_CLAIMS = ['sub', 'sid', 'exp', 'iat', 'iss', 'aud', 'jti']

export interface VerifierSlot {
  kid: string
  algorithm: AccessAlgorithm
  verify: (token: string) => unknown
}

type Success = Extract<VerifyOutcome, { ok: true }>

/**
 * fast-jwt verifiers by kid, kept across rebuilds of the key set (the key ring): an unchanged key keeps its verifier
 * and so its cache of verified tokens. Only valid for rebuilds with the same issuer, audience, maxTtl and tolerance.
 */
export type VerifierCache = Map<string, VerifierSlot & { verifyKey: string | Buffer }>

export function createTokenVerifier (options: NormalisedTokenOptions, cache?: VerifierCache): (token: string) => VerifyOutcome {
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
      cache: VERIFIER_CACHE_SIZE,
      // fast-jwt caches failures for `clockTolerance + errorCacheTTL` ms; this makes every cached failure already
      // stale, so a token refused once (e.g. not yet valid) is judged afresh next time. (The default
      // cacheKeyBuilder, a hash of the whole token, is kept: a custom one is GHSA-rp9m-7r4c-75qg.)
      errorCacheTTL: () => -(toleranceMs + 1)
    }) as ((token: string) => unknown) & { cache?: { set: (key: string, entry: unknown[]) => unknown } }
    // fast-jwt still STORES each failure (errorCacheTTL only makes it stale): a flood of distinct invalid tokens
    // would fill the cache with error objects nobody reads (heap growth, SECURITY-CASES "Invalid-token flood") and
    // evict the valid tokens of real users. Failures are therefore never stored.
    const lru = verifier.cache
    if (lru !== undefined) {
      const set = lru.set.bind(lru)
      lru.set = (key, entry) => entry[0] instanceof Error ? lru : set(key, entry)
    }
    return verifier
  }
  const selectKey = createKeySelector(slots)
  const memo = new WeakMap<object, Success>()
  const noKeys = slots.length === 0

  return function verify (token) {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return failure('AUTH_TOKEN_INVALID')
    if (noKeys) return failure('AUTH_KEYS_UNAVAILABLE')
    const dot = token.indexOf('.')
    if (dot < 1) return failure('AUTH_TOKEN_INVALID')
    const slot = selectKey(token.slice(0, dot))
    if (slot === undefined) return failure('AUTH_TOKEN_INVALID')

    let payload: unknown
    try {
      payload = slot.verify(token)
    } catch (error) {
      return failure(isExpiry(error) ? 'AUTH_TOKEN_EXPIRED' : 'AUTH_TOKEN_INVALID', error)
    }
    if (typeof payload !== 'object' || payload === null) return failure('AUTH_TOKEN_INVALID')

    let outcome = memo.get(payload)
    if (outcome === undefined) {
      // Once per distinct token: fast-jwt decodes leniently (U+FFFD for invalid UTF-8, spare base64 bits ignored);
      // a payload that is not strict UTF-8 JSON, or a non-canonical spelling of a valid token, is refused.
      const lastDot = token.lastIndexOf('.')
      if (decodeJsonObject(token.slice(dot + 1, lastDot)) === undefined || canonicalBytes(token.slice(lastDot + 1)) === undefined) {
        return failure('AUTH_TOKEN_INVALID')
      }
      const claims = readClaims(payload as Record<string, unknown>, rules)
      if (claims === undefined) return failure('AUTH_TOKEN_INVALID')
      outcome = Object.freeze({ ok: true as const, claims })
      memo.set(payload, outcome)
    }
    // fast-jwt checks nbf, exp and maxAge but not an iat in the future (a token minted with a skewed clock).
    if (outcome.claims.iat * 1000 > Date.now() + toleranceMs) return failure('AUTH_TOKEN_INVALID')
    return outcome
  }
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
