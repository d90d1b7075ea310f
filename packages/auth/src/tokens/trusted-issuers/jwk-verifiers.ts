// A trusted issuer's JWKS → one fast-jwt verifier per usable key, built once per fetched document (never per
// request). Keys that cannot be used safely are skipped, not fatal: one odd key must not take the issuer's others down.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto'
import { createVerifier } from 'fast-jwt'
import type { ExternalAlgorithm, NormalisedTrustedIssuer } from './options.js'

/** More keys than any issuer publishes; bounds the work of one document. */
export const MAX_JWKS_KEYS = 50
const MIN_RSA_BITS = 2048
const KID_SHAPE = /^[\x21-\x7e]{1,256}$/

export interface ExternalKey {
  kid: string
  algorithms: readonly ExternalAlgorithm[]
  verify: (token: string) => unknown
}

/** kid → key; a new Map per fetched document, so a rotation is one swap. */
export type ExternalKeySet = ReadonlyMap<string, ExternalKey>

const BY_KEY_TYPE: Record<string, (key: KeyObject) => readonly ExternalAlgorithm[]> = {
  rsa: (key) => (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS ? [] : ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'rsa-pss': (key) => (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS ? [] : ['PS256', 'PS384', 'PS512'],
  ec: (key) => {
    const curve = key.asymmetricKeyDetails?.namedCurve
    return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : []
  },
  ed25519: () => ['EdDSA']
}

export function buildKeySet (jwks: Record<string, unknown>, issuer: NormalisedTrustedIssuer, clockToleranceMs: number): ExternalKeySet {
  const { keys } = jwks
  if (!Array.isArray(keys)) throw new Error('the JWKS has no "keys" list')
  const set = new Map<string, ExternalKey>()
  for (const jwk of keys.slice(0, MAX_JWKS_KEYS)) {
    const key = readKey(jwk, issuer, clockToleranceMs)
    // A kid listed twice is ambiguous: neither copy is used.
    if (key === undefined) continue
    if (set.has(key.kid)) set.set(key.kid, { ...key, algorithms: [] })
    else set.set(key.kid, key)
  }
  for (const [kid, key] of set) if (key.algorithms.length === 0) set.delete(kid)
  return set
}

function readKey (value: unknown, issuer: NormalisedTrustedIssuer, clockToleranceMs: number): ExternalKey | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const jwk = value as Record<string, unknown>
  const { kid, use, alg } = jwk
  if (typeof kid !== 'string' || !KID_SHAPE.test(kid)) return undefined
  if (use !== undefined && use !== 'sig') return undefined
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return undefined
  // Symmetric keys are never accepted from a JWKS (RFC 8725 §3.2); a private part is ignored, only the public one is used.
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return undefined
  let key: KeyObject
  try {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...publicPart } = jwk
    key = createPublicKey({ key: publicPart as JsonWebKey, format: 'jwk' })
  } catch {
    return undefined
  }
  const fits = BY_KEY_TYPE[key.asymmetricKeyType ?? '']?.(key) ?? []
  // The key's own `alg`, when it names one, narrows it further: a key published for RS256 never verifies PS256.
  const algorithms = fits.filter((candidate) => issuer.algorithms.includes(candidate) && (alg === undefined || alg === candidate))
  if (algorithms.length === 0) return undefined
  const verify = createVerifier({
    key: key.export({ type: 'spki', format: 'pem' }).toString(),
    algorithms: [...algorithms],
    allowedIss: issuer.issuer,
    allowedAud: issuer.audience,
    requiredClaims: ['exp', 'iss', 'aud'],
    clockTolerance: clockToleranceMs,
    cache: false
  }) as (token: string) => unknown
  return { kid, algorithms, verify }
}
