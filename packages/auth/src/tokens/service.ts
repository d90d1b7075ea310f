import { toPublicJwk } from './jwks.js'
import { normaliseTokenOptions } from './options.js'
import { createSigners } from './sign.js'
import type { AccessTokenService, PublicJwk, TokenOptions } from './types.js'
import { createTokenVerifier } from './verify.js'

/**
 * The access-token service: signs with the signing key, verifies against every configured key (rotation by `kid`),
 * publishes the public keys. Throws an Error naming the option when `options` is unsafe or inconsistent.
 * An empty `keys` array is allowed and means "keys could not be loaded": verify answers 503 AUTH_KEYS_UNAVAILABLE
 * (an outage, not a mass logout) and sign throws that AuthError.
 */
export function createAccessTokenService (options: TokenOptions): AccessTokenService {
  const normalised = normaliseTokenOptions(options)
  const { sign, signAssertion } = createSigners(normalised)
  const verify = createTokenVerifier(normalised)
  const publicKeys = normalised.keys.map(toPublicJwk).filter((jwk): jwk is PublicJwk => jwk !== undefined)
  const jwks = (): { keys: PublicJwk[] } => ({ keys: publicKeys.map((jwk) => ({ ...jwk })) })
  return { sign, verify, jwks, signAssertion }
}
