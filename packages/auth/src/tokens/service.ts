import { toPublicJwk } from './jwks.js'
import { normaliseTokenOptions } from './options.js'
import { createSigners } from './sign.js'
import type { AccessTokenService, PublicJwk, TokenOptions } from './types.js'
import { createTokenVerifier, type KeySetComplete, type VerifierCache } from './verify.js'

/** What the key ring (key-ring-service.ts) adds to a service it builds; not part of the public export. */
export interface KeyRingServiceParts {
  /** fast-jwt verifiers of unchanged keys, carried over from the previous service. */
  verifiers?: VerifierCache
  /** Whether a kid missing from the keys can still be a key that signs (verify.ts); default: always complete. */
  keySetComplete?: KeySetComplete
}

/**
 * The access-token service: signs with the signing key, verifies against every configured key (rotation by `kid`),
 * publishes the public keys. Throws an Error naming the option when `options` is unsafe or inconsistent.
 * An empty `keys` array is allowed and means "keys could not be loaded": verify answers 503 AUTH_KEYS_UNAVAILABLE
 * (an outage, not a mass logout) and sign throws that AuthError. A static key set is complete: a kid it lacks is
 * 401 AUTH_TOKEN_INVALID.
 */
export function createAccessTokenService (options: TokenOptions): AccessTokenService {
  return buildAccessTokenService(options)
}

/** createAccessTokenService, plus the key ring's parts (internal: tokens/index.ts does not export it). */
export function buildAccessTokenService (options: TokenOptions, parts: KeyRingServiceParts = {}): AccessTokenService {
  const normalised = normaliseTokenOptions(options)
  const { sign, signAssertion } = createSigners(normalised)
  const verify = createTokenVerifier(normalised, parts.verifiers, parts.keySetComplete)
  const publicKeys = normalised.keys.map(toPublicJwk).filter((jwk): jwk is PublicJwk => jwk !== undefined)
  const jwks = (): { keys: PublicJwk[] } => ({ keys: publicKeys.map((jwk) => ({ ...jwk })) })
  return { sign, verify, jwks, signAssertion }
}
