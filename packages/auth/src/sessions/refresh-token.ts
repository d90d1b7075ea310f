// Opaque refresh tokens: 256 bits from the CSPRNG, base64url (43 characters). Only the SHA-256 hex digest is ever
// stored or compared: a database dump yields no usable token, and lookups compare a computed hex string, so nothing
// a client sends (`{"$ne": ""}`, a 10 KB cookie) can reach a query as anything else.
import { createHash, randomBytes } from 'node:crypto'

export const REFRESH_TOKEN_BYTES = 32
const REFRESH_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/

export function generateRefreshToken (): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url')
}

/** Whether `value` can be a refresh token at all; anything else is refused before hashing or querying. */
export function isRefreshTokenFormat (value: unknown): value is string {
  return typeof value === 'string' && REFRESH_TOKEN_FORMAT.test(value)
}

export function hashRefreshToken (token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}
