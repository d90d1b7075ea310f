// Public types of @authgate/client. The shapes of server answers follow the HTTP contract
// (docs/design.md#http-contract).
import type { CookieJar } from './cookie-jar.js'

/** The `fetch` the client sends through: the global one by default, any compatible function in tests or SSR. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/** The user as the auth server describes it in login/refresh/me answers. */
export interface AuthUser {
  id: string
  email?: string
  roles?: string[]
  [field: string]: unknown
}

/** What `login()` resolves to. The access token itself stays inside the client (see `accessToken`). */
export interface LoginResult {
  user: AuthUser
  /** Access-token lifetime in seconds, as announced by the server. */
  expiresIn: number
}

/** One refresh session (one login on one device), as listed by `GET {authPrefix}/sessions`. */
export interface SessionInfo {
  id: string
  device?: unknown
  ip?: string
  userAgent?: string
  createdAt: string
  lastUsedAt?: string
  /** True for the session this client is using. */
  current: boolean
  [field: string]: unknown
}

/** `GET {authPrefix}/me`: the user and the verified claims of the access token. */
export interface MeResult {
  user: AuthUser
  claims: Record<string, unknown>
}

/** Events emitted by the client; `on(name, listener)` receives the payload. */
export interface AuthClientEvents {
  /** A login succeeded in this client. */
  login: { user: AuthUser }
  /** The access token changed: a login, a refresh (here or handed over by another tab), or cleared. */
  token: { accessToken: string | null, expiresAt: number | null }
  /** Logged out here (`local`) or in another tab of the same origin (`remote`). */
  logout: { reason: 'local' | 'remote' }
  /** The refresh token was refused: the user must log in again. Emitted once per expiry. */
  sessionExpired: { status: number, code: string | undefined }
}

export type AuthClientEventName = keyof AuthClientEvents
export type AuthClientListener<E extends AuthClientEventName> = (payload: AuthClientEvents[E]) => void

export interface AuthClientOptions {
  /**
   * Origin (and optional base path) of the gateway, e.g. `https://app.example`. Relative `fetch` inputs resolve
   * against it, and the access token is only ever attached to requests towards this origin. Defaults to
   * `location.origin` in a browser; required in Node.
   */
  baseUrl?: string
  /** Path prefix of the auth routes. Default `/auth`. */
  authPrefix?: string
  /** The fetch to send requests through. Default: the global `fetch`. */
  fetch?: FetchLike
  /** Called once each time the session ends because the refresh token was refused. */
  onSessionExpired?: (event: AuthClientEvents['sessionExpired']) => void
  /**
   * Refresh before sending a request when the access token is about to expire, saving the 401 round trip.
   * Default true. There is deliberately no background timer: an idle tab neither keeps its session alive
   * nor generates traffic, and Node processes are not kept running.
   */
  proactiveRefresh?: boolean
  /** How long before expiry a proactive refresh happens, in seconds (capped at half the token lifetime). Default 30. */
  refreshSkewSeconds?: number
  /**
   * Cookie storage for Node, where `fetch` has no cookie store: Set-Cookie headers of auth-prefix answers are kept
   * and sent back on auth-prefix requests. Browsers manage the (HttpOnly) refresh cookie themselves: leave it unset.
   */
  cookieJar?: CookieJar
  /**
   * Share tokens and logouts between tabs (BroadcastChannel) and serialise refreshes (Web Locks). Default: on in
   * browsers (when `document` exists), off elsewhere, so two clients in one Node process never share a session.
   */
  crossTab?: boolean
}

export interface AuthClient {
  /** Logs in; the access token is kept in memory and the refresh cookie by the browser (or the cookie jar). */
  login(email: string, password: string): Promise<LoginResult>
  /** Ends this session on the server (best effort) and forgets the token here and in other tabs. */
  logout(): Promise<void>
  /** Revokes every session of the user, then logs out here. */
  logoutAll(): Promise<void>
  sessions(): Promise<SessionInfo[]>
  revokeSession(id: string): Promise<void>
  revokeOtherSessions(): Promise<void>
  me(): Promise<MeResult>
  /**
   * Refreshes the access token now (e.g. to resume a session after a page reload, when only the refresh cookie
   * survived). Shares an in-flight refresh. Resolves true when a new token was obtained.
   */
  refresh(): Promise<boolean>
  /**
   * `fetch` with `Authorization: Bearer` attached (towards `baseUrl` only). On a 401 whose code says the token is
   * expired, invalid or revoked, one refresh shared by all waiting requests, then one retry. Any other response,
   * including an upstream's own 401, is returned untouched. A body that cannot be replayed (a ReadableStream) is
   * never resent: the 401 is returned instead.
   */
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>
  /** The current access token, or null. */
  readonly accessToken: string | null
  /** The user of the last login or refresh, or null. */
  readonly user: AuthUser | null
  /** Subscribes; returns the function that unsubscribes. */
  readonly on: <E extends AuthClientEventName>(event: E, listener: AuthClientListener<E>) => () => void
  readonly off: <E extends AuthClientEventName>(event: E, listener: AuthClientListener<E>) => void
  /** Stops cross-tab listening. The client remains usable. */
  close(): void
}
