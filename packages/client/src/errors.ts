// Errors thrown by the client's auth helpers (login, sessions, me...). `fetch()` never throws for HTTP statuses:
// it returns the Response, as the platform fetch does.

export type AuthClientErrorCode =
  /** An auth endpoint answered with a non-2xx status; `status` and `serverCode` say which. */
  | 'AUTHGATE_CLIENT_REQUEST_FAILED'
  /** An auth endpoint answered 2xx with a body that does not match the contract. */
  | 'AUTHGATE_CLIENT_BAD_RESPONSE'
  /** The options cannot work (e.g. no baseUrl outside a browser). */
  | 'AUTHGATE_CLIENT_CONFIG'

/**
 * Check with `err instanceof AuthClientError` or `err.code`. For a failed request, `serverCode` carries the
 * server's `AUTH_*` code (e.g. `AUTH_INVALID_CREDENTIALS`) when the answer had one.
 */
export class AuthClientError extends Error {
  readonly code: AuthClientErrorCode
  readonly status: number | undefined
  readonly serverCode: string | undefined

  constructor (code: AuthClientErrorCode, message: string, details: { status?: number, serverCode?: string, cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'AuthClientError'
    this.code = code
    this.status = details.status
    this.serverCode = details.serverCode
  }
}
