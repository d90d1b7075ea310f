// Verification of tokens from trusted external issuers: synchronous, never throws, never touches the network (the
// keys are fetched in the background by issuer-keys.ts). The verifier is chosen by the token's `iss`, an exact
// string lookup (never a prefix: `https://idp.example.com` does not vouch for `https://idp.example.com.evil`), and
// everything after that is that issuer's alone: its keys, its algorithms, its audience (RFC 8725 per issuer).
import { AuthError } from '../../errors.js'
import { canonicalBytes, decodeJsonObject } from '../header.js'
import type { AccessClaims, VerifyOutcome } from '../types.js'
import { MAX_TOKEN_LENGTH } from '../verify.js'
import { mapExternalClaims } from './external-claims.js'
import type { IssuerKeys } from './issuer-keys.js'
import type { ExternalKeySet } from './jwk-verifiers.js'
import type { NormalisedTrustedIssuer } from './options.js'

const MAX_HEADER_SEGMENT = 2048
const VERIFIED_CACHE_SIZE = 10_000
/** Header members that carry or point at a key: the token would choose its own key (RFC 8725 §3.10). */
const KEY_CARRYING = ['jku', 'jwk', 'x5u', 'x5c', 'crit', 'b64']
/**
 * `typ` values of access tokens (RFC 9068 `at+jwt`) and plain JWTs; any other declared type is another kind of token
 * (an ID token's `id_token+jwt`, a logout token, a DPoP proof, an authgate assertion) and is refused (RFC 8725 §3.11).
 * Most IdPs send no `typ` or `JWT`, so those pass; `aud` is what keeps their ID tokens (aud = a client id) out.
 */
const ACCESS_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt'])

export interface TrustedIssuer {
  config: NormalisedTrustedIssuer
  keys: IssuerKeys
}

type Success = Extract<VerifyOutcome, { ok: true }>
interface CacheEntry { outcome: Success, issuer: TrustedIssuer, keys: ExternalKeySet }

export interface ExternalVerifier {
  /** A verified token seen before, still valid with the key set in use; undefined otherwise. One Map lookup. */
  cached: (token: string) => Success | undefined
  /** The outcome for a token whose `iss` is a trusted issuer; undefined for any other token (not ours to judge). */
  verify: (token: string) => VerifyOutcome | undefined
}

export function createExternalVerifier (issuers: readonly TrustedIssuer[], clockToleranceMs: number): ExternalVerifier {
  const byIssuer = new Map(issuers.map((issuer) => [issuer.config.issuer, issuer]))
  const verified = new Map<string, CacheEntry>()

  function cached (token: string): Success | undefined {
    if (verified.size === 0) return undefined
    const entry = verified.get(token)
    if (entry === undefined) return undefined
    const now = Date.now()
    if (entry.keys === entry.issuer.keys.keys && now < entry.outcome.claims.exp * 1000 + clockToleranceMs) return entry.outcome
    verified.delete(token)
    return undefined
  }

  function verify (token: string): VerifyOutcome | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined
    const dot = token.indexOf('.')
    const lastDot = token.lastIndexOf('.')
    if (dot < 1 || lastDot === dot || token.indexOf('.', dot + 1) !== lastDot) return undefined
    const payload = decodeJsonObject(token.slice(dot + 1, lastDot))
    const iss = payload?.iss
    if (payload === undefined || typeof iss !== 'string') return undefined
    const issuer = byIssuer.get(iss)
    if (issuer === undefined) return undefined

    const keys = issuer.keys.keys
    // Unverified, the payload only chooses between refusals: a token past its exp is dead whoever signed it, and
    // "expired" sends the client to get a new one where a 503 would have it retry the same token.
    if (keys === undefined) return failure(isExpired(payload.exp, clockToleranceMs) ? 'AUTH_TOKEN_EXPIRED' : 'AUTH_KEYS_UNAVAILABLE')
    const headerSegment = token.slice(0, dot)
    const header = headerSegment.length > MAX_HEADER_SEGMENT ? undefined : decodeJsonObject(headerSegment)
    if (header === undefined || canonicalBytes(token.slice(lastDot + 1)) === undefined) return failure('AUTH_TOKEN_INVALID')
    if (KEY_CARRYING.some((member) => Object.hasOwn(header, member))) return failure('AUTH_TOKEN_INVALID')
    const { alg, kid, typ } = header
    if (typ !== undefined && (typeof typ !== 'string' || !ACCESS_TYPES.has(typ.toLowerCase()))) return failure('AUTH_TOKEN_INVALID')
    if (typeof alg !== 'string' || !(issuer.config.algorithms as readonly string[]).includes(alg) || typeof kid !== 'string') {
      return failure('AUTH_TOKEN_INVALID')
    }
    const key = keys.get(kid)
    if (key === undefined) {
      // A rotation on the issuer's side shows up as a kid we lack: fetch again (rate-limited) and have the client
      // retry shortly; a kid still unknown after a recent fetch was never the issuer's.
      if (isExpired(payload.exp, clockToleranceMs)) return failure('AUTH_TOKEN_EXPIRED')
      return failure(issuer.keys.unknownKid() === 'refetching' ? 'AUTH_KEYS_UNAVAILABLE' : 'AUTH_TOKEN_INVALID')
    }
    if (!(key.algorithms as readonly string[]).includes(alg)) return failure('AUTH_TOKEN_INVALID')

    let checked: unknown
    try {
      checked = key.verify(token)
    } catch (error) {
      return failure(isExpiry(error) ? 'AUTH_TOKEN_EXPIRED' : 'AUTH_TOKEN_INVALID', error)
    }
    if (typeof checked !== 'object' || checked === null) return failure('AUTH_TOKEN_INVALID')
    // Mapped from the strictly decoded payload (the one fast-jwt verified, decoded without its leniency).
    const claims: AccessClaims | undefined = mapExternalClaims(payload, issuer.config, Date.now(), clockToleranceMs)
    if (claims === undefined) return failure('AUTH_TOKEN_INVALID')
    const outcome: Success = Object.freeze({ ok: true as const, claims })
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string)
    verified.set(token, { outcome, issuer, keys })
    return outcome
  }

  return { cached, verify }
}

function isExpired (exp: unknown, toleranceMs: number): boolean {
  return typeof exp === 'number' && exp * 1000 + toleranceMs <= Date.now()
}

function failure (code: 'AUTH_TOKEN_INVALID' | 'AUTH_TOKEN_EXPIRED' | 'AUTH_KEYS_UNAVAILABLE', cause?: unknown): VerifyOutcome {
  return { ok: false, error: new AuthError(code, { cause, retryAfter: code === 'AUTH_KEYS_UNAVAILABLE' ? 5 : undefined }) }
}

function isExpiry (error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'FAST_JWT_EXPIRED'
}
