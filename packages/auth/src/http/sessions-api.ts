// `app.authgate.sessions`: the session verbs for applications that sign users in themselves (a magic link, a second
// factor, their own user table) and for their own account pages. The same session service as the plugin's routes,
// so an issued session rotates, is reuse-checked, listed and revoked exactly like one from POST /login.
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { AuthError } from '../errors.js'
import type { AuthgateEvents, LogoutEvent } from '../events.js'
import type { SessionService, SessionUser } from '../sessions/service.js'
import { clientInfo } from '../sessions/client-info.js'
import { checkUserShape } from '../sessions/user-source.js'
import type { SessionStore } from '../stores/store.js'
import { presentEmail } from '../stores/user-email.js'
import { isIdentifier } from '../tokens/claims.js'
import type { VerifiedUser } from '../users/types.js'
import type { CookieJar } from './cookies.js'
import { summariseSession, type SessionSummary } from './session-summary.js'

export type { SessionSummary }

/** What `sessions.issue` answers: the body POST /login would send (the refresh token went to the cookie). */
export interface IssuedLogin {
  accessToken: string
  tokenType: 'Bearer'
  /** Seconds. */
  expiresIn: number
  user: { id: string, email: string | null, roles: string[] }
  sessionId: string
}

/** Most sessions `list` answers at once; more are not listed (a user with that many has a problem of its own). */
export const MAX_LISTED_SESSIONS = 1000

/** `app.authgate.sessions`: sign a user in from your own route, list and revoke their sessions. */
export interface AuthgateSessions {
  /**
   * Signs `user` in as POST /login does once the password is checked: a new refresh session (its cookie and the
   * device cookie are set on `reply`, with `cache-control: no-store`), the `login` and `newDevice` events, and the
   * access token, returned for the caller to send. The reply is not sent. Run it from a route under the auth prefix
   * (`/auth/...` by default): the device cookie is scoped to that path, so elsewhere every sign-in looks like a new
   * device. The route is yours to protect (login CSRF: check the Origin or a token of your own flow).
   *
   * With the built-in users collection, `user.id` must name a user of the store (its stored email and roles are
   * used; the given ones are ignored): 401 AUTH_INVALID_CREDENTIALS for an unknown id, 403 AUTH_USER_DISABLED for a
   * disabled user, 403 AUTH_EMAIL_UNVERIFIED under `auth.requireVerifiedEmail`. With `verifyCredentials` (users live
   * elsewhere), `user` is taken as given. A malformed user is the calling code's bug: a TypeError naming the field.
   */
  issue: (user: VerifiedUser, request: FastifyRequest, reply: FastifyReply) => Promise<IssuedLogin>
  /** The user's live sessions, newest first (at most MAX_LISTED_SESSIONS). */
  list: (userId: string) => Promise<SessionSummary[]>
  /**
   * Revokes one session of the user; answers whether it did (false when the session is not the user's). Emits
   * `logout` (reason `revoke-session`), with the address and agent of `request` when given. Every instance refuses
   * the session's access tokens within `tokens.revocationDelay`.
   */
  revoke: (userId: string, sessionId: string, request?: FastifyRequest) => Promise<boolean>
  /** Revokes every session of the user (logout everywhere); answers the ids revoked. Emits `logout` (`logout-all`). */
  revokeAll: (userId: string, request?: FastifyRequest) => Promise<string[]>
}

export interface SessionsApiOptions {
  store: SessionStore
  sessions: SessionService
  cookies: CookieJar
  events: AuthgateEvents
  logger: Pick<FastifyBaseLogger, 'warn'>
  /** The auth prefix: the device cookie's path. */
  prefix: string
  /** True with the built-in users collection (no `verifyCredentials`). */
  usersInStore: boolean
  requireVerifiedEmail: boolean
}

export function createSessionsApi (options: SessionsApiOptions): AuthgateSessions {
  const { store, sessions, cookies, events } = options
  let warnedPath = false

  async function sessionUser (user: unknown): Promise<SessionUser> {
    const given = checkUserShape(user)
    if (typeof given === 'string') throw new TypeError(`sessions.issue: ${given}`)
    if (!options.usersInStore) return given
    const stored = await store.findUserById(given.id)
    if (stored === null) throw new AuthError('AUTH_INVALID_CREDENTIALS')
    if (stored.disabled === true) throw new AuthError('AUTH_USER_DISABLED')
    if (options.requireVerifiedEmail && stored.emailVerified !== true) throw new AuthError('AUTH_EMAIL_UNVERIFIED')
    return { id: stored.id, email: presentEmail(stored.email), roles: [...stored.roles], emailVerified: stored.emailVerified === true }
  }

  function checkedId (value: unknown, name: string): string {
    // Ids reach store filters: an object here (a parsed JSON body passed on) would be a query operator.
    if (!isIdentifier(value)) throw new TypeError(`sessions: ${name} must be a string of 1 to 1024 characters without control characters`)
    return value
  }

  function loggedOut (userId: string, sessionIds: string[], reason: LogoutEvent['reason'], request: FastifyRequest | undefined): void {
    if (sessionIds.length === 0) return
    const client = request === undefined ? { ip: '' } : clientInfo(request)
    events.emit('logout', { userId, sessionIds, reason, ...client, at: new Date() })
  }

  function warnOutsidePrefix (request: FastifyRequest): void {
    if (warnedPath || request.url === options.prefix || request.url.startsWith(`${options.prefix}/`)) return
    warnedPath = true
    options.logger.warn({ event: 'sessions_issue_outside_prefix', prefix: options.prefix }, 'authgate: sessions.issue runs outside the auth prefix, where the device cookie is not sent: every such sign-in counts as a new device')
  }

  return {
    async issue (user, request, reply) {
      const checked = await sessionUser(user)
      warnOutsidePrefix(request)
      const issued = await sessions.issue(checked, clientInfo(request), cookies.device(request, reply))
      cookies.setRefresh(reply, issued.refreshToken, issued.session.expiresAt)
      reply.header('cache-control', 'no-store')
      return {
        accessToken: issued.access.token,
        tokenType: 'Bearer',
        expiresIn: issued.access.expiresIn,
        user: { id: issued.user.id, email: issued.user.email, roles: [...issued.user.roles] },
        sessionId: issued.session.id
      }
    },
    async list (userId) {
      const { sessions: listed } = await sessions.list(checkedId(userId, 'userId'), { limit: MAX_LISTED_SESSIONS })
      return listed.map(summariseSession)
    },
    async revoke (userId, sessionId, request) {
      const revoked = await sessions.revokeOne(checkedId(userId, 'userId'), checkedId(sessionId, 'sessionId'))
      if (revoked) loggedOut(userId, [sessionId], 'revoke-session', request)
      return revoked
    },
    async revokeAll (userId, request) {
      const ids = await sessions.revokeAll(checkedId(userId, 'userId'))
      loggedOut(userId, ids, 'logout-all', request)
      return ids
    }
  }
}
