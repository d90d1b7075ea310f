// The ID token's signature, against the provider's JWKS (the trusted-issuer key set: only asymmetric keys, each
// with the algorithms its type and `alg` allow), and its `at_hash` where present (OIDC Core §3.1.3.8). The claims
// were checked by oauth4webapi already; fast-jwt checks iss, aud and exp again with the signature.
import { createHash } from 'node:crypto'
import { AuthError } from '../errors.js'
import { OidcRejection } from './rejection.js'
import { decodeJsonObject } from '../tokens/header.js'
import type { IssuerKeys } from '../tokens/trusted-issuers/issuer-keys.js'
import type { ExternalAlgorithm } from '../tokens/trusted-issuers/options.js'

/** Header members that carry or point at a key: the token would choose its own key (RFC 8725 §3.10). */
const KEY_CARRYING = ['jku', 'jwk', 'x5u', 'x5c', 'crit', 'b64']
const HASH_OF: Record<ExternalAlgorithm, string> = {
  RS256: 'sha256', PS256: 'sha256', ES256: 'sha256',
  RS384: 'sha384', PS384: 'sha384', ES384: 'sha384',
  RS512: 'sha512', PS512: 'sha512', ES512: 'sha512',
  // Ed25519 (the only EdDSA curve the key set accepts) hashes with SHA-512.
  EdDSA: 'sha512'
}

export interface IdTokenKeys {
  keys: IssuerKeys
  algorithms: readonly ExternalAlgorithm[]
  accessToken: string | undefined
}

export async function verifyIdTokenSignature (token: string, options: IdTokenKeys): Promise<void> {
  const [headerSegment = '', payloadSegment = ''] = token.split('.')
  const header = decodeJsonObject(headerSegment)
  const payload = decodeJsonObject(payloadSegment)
  if (header === undefined || payload === undefined) throw refused('malformed ID token')
  if (KEY_CARRYING.some((member) => Object.hasOwn(header, member))) throw refused('the ID token header carries a key')
  const { alg, kid } = header
  if (typeof alg !== 'string' || !(options.algorithms as readonly string[]).includes(alg)) throw refused(`ID token algorithm ${String(alg)} is not accepted`)
  if (typeof kid !== 'string') throw refused('the ID token names no kid')
  let key = options.keys.keys?.get(kid)
  if (key === undefined) {
    // A rotation at the provider: fetch its JWKS again (rate-limited by the key set), once.
    if (options.keys.unknownKid() === 'refetching') await options.keys.refresh()
    key = options.keys.keys?.get(kid)
  }
  if (key === undefined) {
    if (options.keys.keys === undefined) throw new AuthError('AUTH_OIDC_UNAVAILABLE', { retryAfter: 5, cause: new Error('the provider\'s keys cannot be had') })
    throw refused('the ID token\'s kid is not in the provider\'s JWKS')
  }
  if (!(key.algorithms as readonly string[]).includes(alg)) throw refused('the ID token\'s algorithm does not fit its key')
  try {
    key.verify(token)
  } catch (error) {
    throw new OidcRejection('id-token-invalid', error)
  }
  const atHash = payload.at_hash
  if (atHash !== undefined) {
    if (typeof atHash !== 'string' || options.accessToken === undefined) throw refused('at_hash without an access token')
    const digest = createHash(HASH_OF[alg as ExternalAlgorithm]).update(options.accessToken, 'ascii').digest()
    if (digest.subarray(0, digest.length / 2).toString('base64url') !== atHash) throw refused('at_hash does not match the access token')
  }
}

function refused (reason: string): OidcRejection {
  return new OidcRejection('id-token-invalid', new Error(reason))
}
