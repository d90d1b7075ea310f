// `tokens`: the access-token algorithm, keys, issuer and audience, and every lifetime of a session.
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { ACCESS_ALGORITHMS } from '../tokens/types.js'
import { DEFAULT_KEY_REFRESH } from '../keys/key-ring-service.js'
import { DEFAULT_REVOCATION_DELAY } from '../revocation/list.js'
import { Deprecated, DurationKey, OneOf, OrCode, Strict, type Form } from '../config/kinds.js'

const SECOND = 1000
const DAY = 86_400_000

export const DEFAULT_ACCESS_TTL = '15m'
export const DEFAULT_REFRESH_TTL = '30d'
export const DEFAULT_REUSE_GRACE = '10s'
export const DEFAULT_CLOCK_TOLERANCE = '30s'
export const DEFAULT_ISSUER = 'authgate'

export const ACCESS_TTL_RANGE = { min: SECOND, max: DAY }
export const REFRESH_TTL_RANGE = { min: 60 * SECOND, max: 400 * DAY }
export const MAX_TTL_RANGE = { min: SECOND, max: 366 * DAY }
export const KEY_REFRESH_RANGE = { min: 50, max: 300 * SECOND }

function keyRing (form: Form): TSchema {
  return Type.Object({
    store: OrCode(form, OneOf(['database'] as const, '`database`: the ring lives in the session store (store.mongodb), shared by every instance.'),
      'object', 'a KeyRingStore', 'must be "database" or a KeyRingStore'),
    keyEncryptionKey: OrCode(form, Type.String({ minLength: 1, description: 'At least 32 random bytes as hex or base64 (give it from the environment: `${AUTHGATE_KEK}`). Private keys are encrypted at rest under it (AES-256-GCM); without it a copy of the database cannot sign. Never stored.' }),
      'object', 'a Buffer or a KeyEncryptionKey', 'must be hex or base64 text, a Buffer or a KeyEncryptionKey'),
    refreshInterval: Type.Optional(DurationKey(KEY_REFRESH_RANGE, 'How often each instance reads the ring (also the JWKS max-age).', DEFAULT_KEY_REFRESH))
  }, { ...Strict, description: 'Signing keys kept in the database and shared by every instance (`authgate keys rotate | retire`), picked up without a restart. Exclusive with keys and keysDir.' })
}

export function tokensSection (form: Form): TObject {
  return Type.Object({
    algorithm: Type.Optional(OneOf(ACCESS_ALGORITHMS, 'Signing algorithm. Default: the algorithm of the signing key (the first key of keysDir), else EdDSA. Verification accepts only the configured keys\' algorithms, never `none`.')),
    ...(form === 'code'
      ? { keys: Type.Optional(Type.Array(Type.Unsafe<unknown>({ description: 'A KeyInput { kid, algorithm, privateKey | publicKey | secret } (PEM text, KeyObjects or Buffers; checked by the key rules).' }), { description: 'The key set in memory (code only). Exclusive with keysDir and keyRing.' })) }
      : {
          // A file may carry its keys inline as text (PEM, or an HS secret): `authgate config check` warns about
          // a literal secret written in the file; `${VAR}` keeps it out.
          keys: Type.Optional(Type.Array(Type.Object({
            kid: Type.String({ minLength: 1, description: 'Key id (the JWT `kid`).' }),
            algorithm: OneOf(ACCESS_ALGORITHMS, 'Algorithm of this key.'),
            privateKey: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key (signing).' })),
            publicKey: Type.Optional(Type.String({ minLength: 1, description: 'PEM public key (verification only).' })),
            secret: Type.Optional(Type.String({ minLength: 1, description: 'HS256/384/512 shared secret (at least as many bytes as the hash).' }))
          }, { ...Strict, description: 'One key { kid, algorithm, privateKey | publicKey | secret }.' }), { description: 'The key set inline (PEM text or secrets; prefer keysDir). Exclusive with keysDir and keyRing.' }))
        }),
    keysDir: Type.Optional(Type.String({ minLength: 1, description: 'Directory written by `authgate keygen` (relative to the configuration file). Keys that cannot be read fail start-up, naming the path.' })),
    signingKid: Type.Optional(Type.String({ minLength: 1, description: 'kid of the signing key among keys / keysDir. Default: the first key with a private part.' })),
    issuer: Type.String({ minLength: 1, default: DEFAULT_ISSUER, description: '`iss` of the access tokens (and what verification requires).' }),
    audience: Type.String({ minLength: 1, default: DEFAULT_ISSUER, description: '`aud` of the access tokens (and what verification requires).' }),
    accessTtl: DurationKey(ACCESS_TTL_RANGE, 'Access-token lifetime (a bare number is milliseconds).', DEFAULT_ACCESS_TTL),
    refreshTtl: DurationKey(REFRESH_TTL_RANGE, 'Absolute lifetime of a refresh session.', DEFAULT_REFRESH_TTL),
    idleTimeout: Type.Optional(DurationKey({ min: 60 * SECOND, max: REFRESH_TTL_RANGE.max }, 'A session unused this long ends (at most refreshTtl). Default: refreshTtl.')),
    reuseGrace: DurationKey({ min: 0, max: 60 * SECOND }, 'How long a just-retired refresh token still gets its successor back (concurrent tabs, a lost response).', DEFAULT_REUSE_GRACE),
    revocationDelay: DurationKey({ min: 100, max: 300 * SECOND }, 'Upper bound for a revocation to reach every instance (the revocation poll interval).', DEFAULT_REVOCATION_DELAY),
    clockTolerance: DurationKey({ min: 0, max: 300 * SECOND }, 'Allowed clock skew when verifying access tokens (a bare number is milliseconds).', DEFAULT_CLOCK_TOLERANCE),
    maxTtl: Type.Optional(DurationKey(MAX_TTL_RANGE, 'Longest lifetime a token may be minted with (`authgate token --ttl`); revocations are kept this long. Default: accessTtl.')),
    keyRing: Type.Optional(keyRing(form)),
    trustedIssuers: Type.Optional(Type.Array(Type.Unsafe<Record<string, unknown>>({ type: 'object', description: 'One identity provider { issuer, jwksUri, audience, algorithms, claims, … } (README "Trusted issuers").' }),
      { description: 'Identity providers whose bearer tokens are accepted beside authgate\'s own, verified against their JWKS.' })),
    keyStore: Type.Optional(Deprecated(OneOf(['database'] as const, 'The key ring in the database.'), 'tokens.keyRing.store')),
    keyEncryptionKey: Type.Optional(Deprecated(Type.String({ minLength: 1, description: 'The key ring\'s key-encryption key.' }), 'tokens.keyRing.keyEncryptionKey')),
    keyRefresh: Type.Optional(Deprecated(DurationKey(KEY_REFRESH_RANGE, 'How often the key ring is read.'), 'tokens.keyRing.refreshInterval'))
  }, { ...Strict, description: 'Access tokens: algorithm, keys, issuer, audience and lifetimes.' })
}
