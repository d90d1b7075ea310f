// The contract between access-token handling (tokens/, authenticate) and its users (routes, plugin, gateway).
import type { KeyObject } from 'node:crypto'
import type { AuthError } from '../errors.js'

export type AccessAlgorithm = 'EdDSA' | 'ES256' | 'RS256' | 'HS256' | 'HS512'
export const ACCESS_ALGORITHMS: readonly AccessAlgorithm[] = ['EdDSA', 'ES256', 'RS256', 'HS256', 'HS512']

/** One key of the key set. Asymmetric keys carry PEM (or KeyObject) parts; HMAC keys a secret of ≥ 32 bytes. */
export interface KeyInput {
  kid: string
  algorithm: AccessAlgorithm
  privateKey?: string | KeyObject
  publicKey?: string | KeyObject
  secret?: string | Buffer
}

export interface TokenOptions {
  /** Signing algorithm; verification accepts exactly the algorithms of the configured keys, never `none`. */
  algorithm: AccessAlgorithm
  /** The key set: one signing key (`signingKid`, else the first with a private part) and any verification-only keys. */
  keys: KeyInput[]
  signingKid?: string
  issuer: string
  audience: string
  /** Access-token lifetime, seconds. Also the revocation list's retention. */
  accessTtl: number
  /** Allowed clock skew, seconds (finite, 0..300). */
  clockTolerance: number
  /**
   * Longest lifetime a token may be signed or accepted with, seconds (default `accessTtl`). Raise it only for
   * `authgate token --ttl`: verification rejects `exp - iat` above it, and revocations must be kept this long.
   */
  maxTtl?: number
}

/** Claims of an access token (docs/design.md#token-model). */
export interface AccessClaims {
  sub: string
  sid: string
  roles: string[]
  iat: number
  exp: number
  iss: string
  aud: string
  jti: string
  /** Whether the user verified their email (built-in users only; absent on other tokens). */
  email_verified?: boolean
  /** Only on tokens of a trusted external issuer (tokens.trustedIssuers), through its `claims` mapping. */
  email?: string
  name?: string
}

export type VerifyOutcome =
  | { ok: true, claims: AccessClaims }
  | { ok: false, error: AuthError }

export interface SignInput {
  sub: string
  sid: string
  roles: string[]
  /** The `email_verified` claim; absent: not set (users of another source). */
  emailVerified?: boolean
  /** Overrides `accessTtl` (seconds), e.g. `authgate token --ttl`. */
  ttlSeconds?: number
}

export interface SignedAccessToken {
  token: string
  /** Seconds until expiry, for the `expiresIn` field of login/refresh answers. */
  expiresIn: number
  claims: AccessClaims
}

/** Public JWK as served at /.well-known/jwks.json (asymmetric keys only). */
export interface PublicJwk {
  kid: string
  kty: string
  alg: AccessAlgorithm
  use: 'sig'
  [member: string]: unknown
}

export interface AccessTokenService {
  sign (input: SignInput): SignedAccessToken
  /** Synchronous and never throws: every failure is an AuthError (401, or 503 when keys are unavailable). */
  verify (token: string): VerifyOutcome
  jwks (): { keys: PublicJwk[] }
  /**
   * A short-lived JWT (typ `authgate-assertion+jwt`) that the gateway forwards upstream as `x-authgate-assertion`,
   * signed with the signing key and verifiable with the JWKS. `audience` names the route.
   */
  signAssertion (claims: AccessClaims, audience: string, ttlSeconds?: number): string
}

/** Revoked session ids, known to every instance within the poll interval, without a database round trip per request. */
export interface RevocationList {
  isRevoked (sid: string): boolean
  /** Local revocations take effect at once on this instance. */
  add (sid: string, revokedAt?: Date): void
  /**
   * Calls `listener` with each session id when this instance first learns it is revoked (within the revocation
   * delay of the revocation, on every instance); returns the unsubscribe function. Used to end live connections
   * (the gateway's WebSockets). Optional: a list without it cannot end them.
   */
  onRevoked? (listener: (sid: string) => void): () => void
  /**
   * Revocation by subject (tokens/subject-revocation.ts): true when `claims` belong to a token without an authgate session
   * (sid '': a trusted external issuer's) whose issuer-qualified subject was revoked at or after its `iat`. Tokens
   * with a session are never judged here: their session is what logout-all revokes. Optional: a list without it
   * cannot revoke external tokens before their `exp`.
   */
  isSubjectRevoked? (claims: Pick<AccessClaims, 'iss' | 'sub' | 'sid' | 'iat'>): boolean
  /** A local subject revocation (every token of `issuer`/`sub` issued at or before `revokedAt`), at once here. */
  addSubject? (issuer: string, sub: string, revokedAt?: Date): void
  /** Like onRevoked, for subject revocations: the subject key (tokens/subject-revocation.ts subjectKey) and time (ms). */
  onSubjectRevoked? (listener: (key: string, revokedAtMs: number) => void): () => void
  /**
   * True while subject revocations older than the session window are still being read back (a starting instance,
   * or one back from an outage longer than that window): tokens without a session then answer 503, never pass.
   */
  readonly subjectsPending?: boolean
  /**
   * True from start() until the first poll has ended: the list does not yet hold the sessions revoked before this
   * instance started (a restart, a deploy, a new replica), so tokens with a session answer 503 rather than pass. A
   * first poll that failed ends it too: that is an outage like any other (see failClosedAfter), not a pending read.
   */
  readonly sessionsPending?: boolean
  start (): void
  stop (): void
  readonly size: number
  /**
   * True when the list could not reach its source for longer than its fail-closed budget: a revoked session may
   * then go unnoticed, so the authenticator answers 503 instead of trusting the list. Absent means never stale.
   */
  readonly stale?: boolean
}

/** What the revocation list needs from the store. */
export interface RevocationSource {
  /**
   * Sessions revoked at or after `since`, oldest first, at most `limit` of them (the revocation list pages through a
   * large window, so each query stays small and progress survives a slow or failed page).
   */
  listRevokedSince (since: Date, limit?: number): Promise<Array<{ id: string, revokedAt: Date }>>
  /**
   * Like listRevokedSince, the subject revocations only (ids `subject:…`, tokens/subject-revocation.ts). Optional: it lets a
   * starting instance read back the long subject window without paging through a day of session revocations; without
   * it, that backfill pages through listRevokedSince.
   */
  listSubjectRevokedSince? (since: Date, limit?: number): Promise<Array<{ id: string, revokedAt: Date }>>
}
