// Revocation by subject: "every token of user X at issuer I issued (iat) at or before T". Tokens of trusted external
// issuers (tokens.trustedIssuers) carry no authgate session, so logout-all and `authgate user revoke-sessions
// --issuer` cannot name a session id for them; they name the user instead, qualified by its issuer (the same `sub`
// at two issuers is two users, and an external `sub` never names an authgate user).
//
// A subject revocation travels as an ordinary tombstone whose id is `subject:<key>:<T in ms>`: the same insert-only
// collection, the same poll, the same change stream as session revocations, so it reaches every instance within
// `revocationDelay` with no new store query. Session ids are base64url (no ':'), so the two kinds never collide. The
// key is a hash of (issuer, sub): fixed length whatever an IdP puts in `sub`, and no user name in the collection.
import { createHash } from 'node:crypto'

/**
 * The longest lifetime (`exp - iat`, seconds) accepted from a trusted issuer: 24 h, the longest common IdP default
 * (Auth0's API tokens). Subject revocations are kept this long (plus the clock tolerance), so a token living longer
 * would outlast its revocation: it is refused instead.
 */
export const EXTERNAL_MAX_LIFETIME_S = 86_400

const PREFIX = 'subject:'
const KEY_LENGTH = 43

/**
 * The issuer-qualified key of a user: base64url SHA-256 of `<issuer length>:<issuer><sub>`. The length prefix keeps
 * the pair unambiguous whatever either string holds (no separator to move from one into the other).
 */
export function subjectKey (issuer: string, sub: string): string {
  return createHash('sha256').update(`${issuer.length}:${issuer}`, 'utf8').update(sub, 'utf8').digest('base64url')
}

/**
 * How long a subject tombstone is kept in the store: twice the longest external lifetime, so a starting instance (which
 * reads back one lifetime) always finds it, and repeated logout-alls cannot pile up tombstones for long.
 */
export const SUBJECT_TOMBSTONE_RETENTION_MS = 2 * EXTERNAL_MAX_LIFETIME_S * 1000

/** The first and the last-but-one id of the subject tombstones (':' is followed by ';'): an id-range query. */
export const SUBJECT_ID_RANGE = { from: PREFIX, before: 'subject;' } as const

/**
 * The tombstone id of revoking every token of (issuer, sub) issued at or before `at`. `at` is rounded down to the
 * second: `iat` has one-second precision, so the cut-off is the same (issuedBefore), and logout-alls repeated within
 * one second write one tombstone, not one each (the store ignores the duplicate id).
 */
export function subjectRevocationId (issuer: string, sub: string, at: Date): string {
  return `${PREFIX}${subjectKey(issuer, sub)}:${Math.floor(at.getTime() / 1000) * 1000}`
}

/** The subject key of a tombstone id written by subjectRevocationId, or undefined for a session id (or garbage). */
export function parseSubjectRevocationId (id: string): string | undefined {
  if (!id.startsWith(PREFIX) || id.length < PREFIX.length + KEY_LENGTH + 2) return undefined
  const key = id.slice(PREFIX.length, PREFIX.length + KEY_LENGTH)
  return id.charCodeAt(PREFIX.length + KEY_LENGTH) === 0x3a && /^[A-Za-z0-9_-]+$/.test(key) ? key : undefined
}

/**
 * Whether a token issued at `iat` (seconds) falls under a revocation at `revokedAtMs`. `iat` has one-second
 * precision, so a token issued in the same second as the revocation cannot be placed after it: it is revoked too
 * (fail closed; the IdP's next token, a second later, passes).
 */
export function issuedBefore (iat: number, revokedAtMs: number): boolean {
  return iat * 1000 <= revokedAtMs
}
