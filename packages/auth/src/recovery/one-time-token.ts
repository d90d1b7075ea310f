// The value of a password-reset or email-verification token, its stored hash, and the link that carries it.
import { createHash, randomBytes } from 'node:crypto'

/** 256 bits, base64url: 43 characters. */
const TOKEN_BYTES = 32
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/

export function generateOneTimeToken (): string {
  return randomBytes(TOKEN_BYTES).toString('base64url')
}

/** Whether `value` could be a token this server issued: anything else is refused before the store is asked. */
export function isOneTimeTokenFormat (value: unknown): value is string {
  return typeof value === 'string' && TOKEN_FORMAT.test(value)
}

/**
 * SHA-256 hex: what the store keeps and looks up. A plain hash suffices (no salt, no stretching): the value has
 * 256 random bits, so a leaked table cannot be reversed, and an equality lookup by hash leaks nothing by timing.
 */
export function hashOneTimeToken (token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/**
 * `origin + path + #token=…`: in the fragment, which browsers never send, so the token stays out of the access logs
 * of every server on the way and out of Referer headers; the page reads it and POSTs it.
 */
export function oneTimeLink (origin: string, path: string, token: string): string {
  return `${origin}${path}#token=${token}`
}
