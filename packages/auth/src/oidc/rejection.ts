// Why a provider's answer was refused (AUTH_OIDC_REJECTED), in a few fixed classes. The log throttles refusals per
// provider and class: a user cancelling at the provider, or anyone sending `?error=access_denied` as often as they
// like, must not hide an ID token with a bad signature, issuer or nonce (an attack, or a misconfigured provider).
import { AuthError } from '../errors.js'

export const REJECTION_CLASSES = [
  /** The callback carries the provider's `error` parameter (access_denied: the user cancelled…). */
  'provider-error',
  /** The callback is otherwise unacceptable: no code, or an `iss` naming another provider (RFC 9207 mix-up). */
  'callback-invalid',
  /** The token endpoint refused the code (invalid_grant: used, expired, or not issued to us). */
  'code-refused',
  /** The token endpoint's answer failed validation: the ID token's signature, iss, aud, nonce, times, at_hash, sub. */
  'id-token-invalid',
  /** UserInfo's answer was refused (another subject's profile). */
  'userinfo-invalid'
] as const

export type RejectionClass = typeof REJECTION_CLASSES[number]

/** AUTH_OIDC_REJECTED with its class: the answer is the same for every class, only the log tells them apart. */
export class OidcRejection extends AuthError {
  readonly rejection: RejectionClass

  constructor (rejection: RejectionClass, cause: unknown) {
    super('AUTH_OIDC_REJECTED', { cause })
    this.rejection = rejection
  }
}
