import { toPublicJwk } from './jwks.js'
import { normaliseTokenOptions } from './options.js'
import { createSigners } from './sign.js'
import type { AccessTokenService, PublicJwk, TokenOptions } from './types.js'
import { createTokenVerifier, type KeySetComplete, type VerifierCache } from './verify.js'

/**
 * The access-token service: signs with the signing key, verifies against every configured key (rotation by `kid`),
 * publishes the public keys. Throws an Error naming the option when `options` is unsafe or inconsistent.
 * An empty `keys` array is allowed and means "keys could not be loaded": verify answers 503 AUTH_KEYS_UNAVAILABLE
 * (an outage, not a mass logout) and sign throws that AuthError.
 * `verifiers`, when given, carries fast-jwt verifiers of unchanged keys over from the previous service (key ring);
 * `keySetComplete` says whether a kid missing from `keys` can still be a key that signs (verify.ts; key ring only).
 */
export function createAccessTokenService (options: TokenOptions, verifiers?: VerifierCache, keySetComplete?: KeySetComplete): AccessTokenService {
  const normalised = normaliseTokenOptions(options)
  const { sign, signAssertion } = createSigners(normalised)
  const verify = createTokenVerifier(normalised, verifiers, keySetComplete)
  const publicKeys = normalised.keys.map(toPublicJwk).filter((jwk): jwk is PublicJwk => jwk !== undefined)
  const jwks = (): { keys: PublicJwk[] } => ({ keys: publicKeys.map((jwk) => ({ ...jwk })) })
  return { sign, verify, jwks, signAssertion }
}
