// Fastify type augmentation for @authgate/fastify: what the plugin decorates, and the route config it honours.
import type { preHandlerHookHandler } from 'fastify'
import type { AuthHeaders, AuthOutcome } from './authenticate.js'
import type { AccessClaims, AccessTokenService, RevocationList } from '../tokens/types.js'
import type { RouteAuthConfig, RouteAuthMode } from '../route-policy/index.js'
import type { AuthgateSessions } from './sessions-api.js'

export type { AuthgateSessions, IssuedLogin, SessionSummary } from './sessions-api.js'
export type { RouteAuthConfig }

/**
 * Where the plugin keeps its session store on `app.authgate`, out of the public type (reachable, not hidden: a
 * symbol keeps it out of the API, not out of reach). For the plugin's own tests, not a public API.
 */
export const SESSION_STORE = Symbol('authgate.sessionStore')

/**
 * Augment to type claims of your own (as @fastify/jwt's `FastifyJWT`):
 * `declare module '@authgate/fastify' { interface AuthgateClaims { tenant: string } }`.
 * Typing only: authgate signs and forwards the AccessClaims members, nothing else.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- empty on purpose: a declaration-merging hook
export interface AuthgateClaims {}

/** The claims of `request.user`: authgate's AccessClaims and those an application declared on AuthgateClaims. */
export type AuthClaims = AccessClaims & AuthgateClaims

/**
 * `app.authgate`. The session half adds its members (store, events…) to this interface, here or by declaration
 * merging; keep it small.
 */
export interface AuthgateDecorator {
  tokens: AccessTokenService
  /** Synchronous; see Authenticator.authenticate. */
  authenticate: (headers: AuthHeaders, rawHeaders?: readonly string[]) => AuthOutcome
  revocations: RevocationList

  // ── Session half (stores/, sessions/, http/routes/, plugin.ts) ─────────────────────────────────────────────
  /**
   * Sign a user in from your own route (`issue`), list and revoke their sessions. The store itself is not handed
   * out: it holds password hashes, and writes that bypass the session service would skip revocation.
   */
  sessions: AuthgateSessions
  /**
   * The preHandler also decorated as `app.authenticate` (or the name given by the `authenticateDecorator` option):
   * requires a valid access token and the route's `config.roles`.
   */
  requireAuth: preHandlerHookHandler
  /** `on('newDevice' | 'refreshReuse' | 'login' | 'logout', listener)`: the same events as the option hooks. */
  events: import('../events.js').AuthgateEvents
  /** True when the session store answers a ping: for readiness probes (`/readyz`). Never rejects. */
  storeReady: () => Promise<boolean>
  /**
   * One page of the audit trail, newest first: `{ userId?, type?, cursor?, limit? }` → `{ items, nextCursor }`.
   * For an admin route (it checks nothing itself). Rejects with AuthError 400 AUTH_BAD_REQUEST (bad cursor, limit or
   * filter), 404 AUTH_NOT_FOUND (no trail: audit.retention false, or a store without one), 503 (store down).
   */
  queryAudit: (query: import('../audit/query.js').AuditQuery) => Promise<import('../audit/query.js').AuditPage>
}

export type { RouteAuthMode } from '../route-policy/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Verified claims of the bearer token; null when the route lets anonymous requests through. */
    user: AuthClaims | null
  }
  interface FastifyInstance {
    /**
     * preHandler that requires a valid access token (and the route's `config.roles`, if any). Not decorated under this
     * name when the `authenticateDecorator` option renames it (or is false); `app.authgate.requireAuth` is the same.
     */
    authenticate: preHandlerHookHandler
    authgate: AuthgateDecorator
  }
  /**
   * authgate's namespace in a route's `config`: `auth` and `roles` (compiled at registration; a bad value fails it).
   * `role`, `scope`, `scopes` and `claims` are reserved (refused); other keys belong to Fastify and other plugins.
   */
  interface FastifyContextConfig {
    /**
     * 'required', 'optional', 'none', or `{ mode, roles }` (mode default 'required'; unknown keys are refused).
     * Absent: 'required' when `roles` is given, else the plugin's `defaultAuth` ('required' under `app.authenticate`).
     */
    auth?: RouteAuthMode | (RouteAuthConfig & object)
    /** The user must hold at least one of these roles (any-of), else 403 AUTH_FORBIDDEN. Not with `auth: 'none'`. */
    roles?: string[]
  }
}

// @fastify/jwt declares `FastifyRequest.user` as its own UserType: pin that type to ours so both declarations
// agree (authgate configures @fastify/jwt to write its payloads to `request.jwtPayload` instead).
declare module '@fastify/jwt' {
  interface FastifyJWT {
    user: AuthClaims | null
  }
}
