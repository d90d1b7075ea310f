// Label values of the auth outcome metrics: small fixed sets derived from the error codes (errors.ts), so no
// client-chosen text, path or user id can ever become a series.
import type { AuthErrorCode } from '../errors.js'

export const LOGIN_RESULTS = ['ok', 'invalid_credentials', 'rate_limited', 'cross_site', 'bad_request', 'unavailable', 'error'] as const
export const REFRESH_RESULTS = ['ok', 'invalid', 'reused', 'ambiguous', 'rate_limited', 'cross_site', 'bad_request', 'unavailable', 'error'] as const
export type LoginResult = typeof LOGIN_RESULTS[number]
export type RefreshResult = typeof REFRESH_RESULTS[number]
export type Outcome = LoginResult | RefreshResult

const BY_CODE: Partial<Record<AuthErrorCode, Outcome>> = {
  AUTH_INVALID_CREDENTIALS: 'invalid_credentials',
  AUTH_REFRESH_INVALID: 'invalid',
  AUTH_REFRESH_REUSED: 'reused',
  AUTH_REFRESH_AMBIGUOUS: 'ambiguous',
  // The per-IP limit and the per-account lockout answer the same 429.
  AUTH_RATE_LIMITED: 'rate_limited',
  AUTH_CROSS_SITE: 'cross_site',
  AUTH_BAD_REQUEST: 'bad_request',
  AUTH_STORE_UNAVAILABLE: 'unavailable',
  AUTH_KEYS_UNAVAILABLE: 'unavailable'
}

/** The outcome of an answered request: its error code when it failed with one, else its status class. */
export function outcomeOf (statusCode: number, code: string | undefined, allowed: readonly Outcome[]): Outcome {
  if (statusCode < 300) return 'ok'
  const byCode = code === undefined ? undefined : BY_CODE[code as AuthErrorCode]
  if (byCode !== undefined && allowed.includes(byCode)) return byCode
  // Fastify's own 4xx (body too large, wrong content type) never pass through an AuthError.
  if (statusCode === 429) return 'rate_limited'
  if (statusCode >= 400 && statusCode < 500) return 'bad_request'
  return statusCode === 503 ? 'unavailable' : 'error'
}
