// Every HTTP error code authgate answers with, in one place (docs/design.md#http-contract). Codes are a public
// contract: once published, a code is never reused for another meaning.
//
// 401 means missing or invalid credentials; 403 means authenticated but not allowed. "Expired, try refresh"
// (AUTH_TOKEN_EXPIRED) is kept apart from "invalid" so a client knows when a refresh can help.

/** The error catalogue: every AUTH_* code the plugin answers with, its HTTP status and its message. */
export const AUTH_ERRORS = {
  AUTH_TOKEN_MISSING: { statusCode: 401, message: 'An access token is required' },
  AUTH_TOKEN_INVALID: { statusCode: 401, message: 'The access token is invalid' },
  AUTH_TOKEN_EXPIRED: { statusCode: 401, message: 'The access token has expired' },
  AUTH_SESSION_REVOKED: { statusCode: 401, message: 'The session has been revoked' },
  AUTH_FORBIDDEN: { statusCode: 403, message: 'You are not allowed to access this resource' },
  AUTH_INVALID_CREDENTIALS: { statusCode: 401, message: 'Invalid email or password' },
  AUTH_REFRESH_INVALID: { statusCode: 401, message: 'The refresh token is invalid or expired' },
  AUTH_REFRESH_REUSED: { statusCode: 401, message: 'The refresh token was already used; the session has been revoked' },
  // More than one cookie of the refresh-cookie name (one may be tossed by a sibling subdomain): never pick one.
  AUTH_REFRESH_AMBIGUOUS: { statusCode: 401, message: 'More than one refresh cookie was sent; they have been cleared, sign in again' },
  AUTH_RATE_LIMITED: { statusCode: 429, message: 'Too many requests, retry later' },
  AUTH_STORE_UNAVAILABLE: { statusCode: 503, message: 'The session store is unavailable, retry later' },
  // Signing/verification keys cannot be loaded or a kid is unknown to every source: an outage, not a logout.
  AUTH_KEYS_UNAVAILABLE: { statusCode: 503, message: 'Token verification keys are unavailable, retry later' },
  AUTH_BAD_REQUEST: { statusCode: 400, message: 'The request is malformed' },
  AUTH_EMAIL_TAKEN: { statusCode: 409, message: 'That email cannot be registered' },
  AUTH_NOT_FOUND: { statusCode: 404, message: 'Not found' },
  AUTH_CROSS_SITE: { statusCode: 403, message: 'Cross-site request refused' },
  // auth.requireVerifiedEmail: answered only after the password verified, so it says nothing about unknown emails.
  AUTH_EMAIL_UNVERIFIED: { statusCode: 403, message: 'Verify your email address before signing in' },
  // One code for an unknown, used, expired or wrong-purpose reset or verification token: which one it was is no
  // business of whoever presents it.
  AUTH_RESET_INVALID: { statusCode: 400, message: 'The link is invalid, expired or already used; ask for a new one' },
  // OIDC sign-in (oidc.providers): the callback's state is not one this browser started (missing, unknown, expired,
  // used already, or bound to another browser). Nothing was exchanged; the user starts the sign-in again.
  AUTH_OIDC_STATE_INVALID: { statusCode: 400, message: 'The sign-in state is missing, expired, already used or from another browser; start the sign-in again' },
  // The provider refused (access_denied…) or its answer did not verify (ID token signature, iss, aud, nonce…).
  AUTH_OIDC_REJECTED: { statusCode: 401, message: 'The identity provider\'s answer was refused; start the sign-in again' },
  // Discovery, JWKS or token endpoint unreachable or broken: an outage, retry later.
  AUTH_OIDC_UNAVAILABLE: { statusCode: 503, message: 'The identity provider cannot be reached, retry later' },
  // Answered only after the password (or the provider) has been checked: without the password it cannot tell an
  // attacker whether an account exists or is disabled. Refresh of a disabled user's surviving session answers it too.
  AUTH_USER_DISABLED: { statusCode: 403, message: 'This account is disabled' },
  // Admin API: granting or removing a role the acting admin may not grant (admin.grantableRoles, else the roles they
  // hold), or acting on a user who holds such a role.
  AUTH_ADMIN_ESCALATION: { statusCode: 403, message: 'You may not grant, remove or act on a role you cannot grant' },
  // Admin API: an admin disabling, deleting or demoting themselves would leave them (perhaps everyone) locked out.
  AUTH_ADMIN_SELF_LOCKOUT: { statusCode: 409, message: 'An admin cannot disable, delete or demote themselves' }
} as const satisfies Record<string, { statusCode: number, message: string }>

/** An AUTH_* code of the catalogue. */
export type AuthErrorCode = keyof typeof AUTH_ERRORS

/** RFC 6750 §3 error values for the WWW-Authenticate header of each 401. */
const BEARER_ERROR: Partial<Record<AuthErrorCode, string>> = {
  AUTH_TOKEN_INVALID: 'invalid_token',
  AUTH_TOKEN_EXPIRED: 'invalid_token',
  AUTH_SESSION_REVOKED: 'invalid_token'
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  429: 'Too Many Requests', 503: 'Service Unavailable'
}

/** The JSON body of every error answer: `{ statusCode, code, error, message }`. */
export interface AuthErrorBody {
  statusCode: number
  code: AuthErrorCode
  error: string
  message: string
}

/** An error that maps one-to-one onto an HTTP answer. `cause` keeps the library error for logs, never for bodies. */
export class AuthError extends Error {
  readonly code: AuthErrorCode
  readonly statusCode: number
  /** Seconds, for 429 and 503 answers. */
  readonly retryAfter: number | undefined

  constructor (code: AuthErrorCode, options: { message?: string, cause?: unknown, retryAfter?: number } = {}) {
    super(options.message ?? AUTH_ERRORS[code].message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'AuthError'
    this.code = code
    this.statusCode = AUTH_ERRORS[code].statusCode
    this.retryAfter = options.retryAfter
  }

  toJSON (): AuthErrorBody {
    return { statusCode: this.statusCode, code: this.code, error: STATUS_TEXT[this.statusCode] ?? 'Error', message: this.message }
  }

  /** Headers that must accompany this answer (RFC 6750 WWW-Authenticate on 401, Retry-After on 429/503). */
  headers (realm = 'authgate'): Record<string, string> {
    const headers: Record<string, string> = {}
    if (this.statusCode === 401) {
      const bearerError = BEARER_ERROR[this.code]
      headers['www-authenticate'] = bearerError === undefined
        ? `Bearer realm="${realm}"`
        : `Bearer realm="${realm}", error="${bearerError}", error_description="${this.code}"`
    }
    if (this.retryAfter !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(this.retryAfter)))
    return headers
  }
}

/** True for an AuthError: an error whose `code` is in the catalogue, with its status and headers (`toJSON`, `headers`). */
export function isAuthError (value: unknown): value is AuthError {
  return value instanceof AuthError
}
