// `app.authgate.sessions`: the session verbs for applications that sign users in themselves (a magic link, a second
// factor, their own user table) and for their own account pages. The same session service as the plugin's routes,
// so an issued session rotates, is reuse-checked, listed and revoked exactly like one from POST /login.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AuthError } from '../errors.js'
import type { AuthgateEvents } from '../events.js'
import type { SessionService } from '../sessions/service.js'
import { clientInfo } from '../sessions/client-info.js'
import type { SessionUser } from '../sessions/service.js'
import { isIdentifier, isRoleList, MAX_ROLES } from '../tokens/claims.js'
import type { SessionStore } from '../stores/store.js'
import { presentEmail } from '../stores/user-email.js'
import type { VerifiedUser } from '../users/types.js'
import type { CookieJar } from './cookies.js'

/** What `sessions.issue` answers: the body POST /login would send (the refresh token went to the cookie). */
export interface IssuedLogin {
  accessToken: string
  tokenType: 'Bearer'
  /** Seconds. */
  expiresIn: number
  user: { id: string, email: string | null, roles: string[] }
  sessionId: string
}

/** A live session as listed to its user: never its token hashes. */
export interface SessionSummary {
  id: string
  /** The opaque device id (never the device cookie's value). */
  device: string | null
  ip: string
  userAgent: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
}

/** Most sessions `list` answers at once; more are not listed (a user with that many has a problem of its own). */
export const MAX_LISTED_SESSIONS = 1000

/** `app.authgate.sessions`: sign a user in from your own route, list and revoke their sessions. */
export interface AuthgateSessions {
  /**
   * Signs `user` in as POST /login does once the password is checked: a new refresh session (its cookie and the
   * device cookie are set on `reply`, with `cache-control: no-store`), the `login` and `newDevice` events, and the
   * access token, returned for the caller to send. The reply is not sent.
   *
   * With the built-in users collection, `user.id` must name a user of the store (its stored email and roles are
   * used; the given ones are ignored): 401 AUTH_INVALID_CREDENTIALS for an unknown id, 403 AUTH_USER_DISABLED for a
   * disabled user. With `verifyCredentials` (users live elsewhere), `user` is taken as given, checked like that
   * hook's answers (and `refreshUser`, when set, asks about it again at refresh). Rejects with AuthError.
   */
  issue: (user: VerifiedUser, request: FastifyRequest, reply: FastifyReply) => Promise<IssuedLogin>
  /** The user's live sessions, newest first (at most MAX_LISTED_SESSIONS). */
  list: (userId: string) => Promise<SessionSummary[]>
  /**
   * Revokes one session of the user, or every one when `sessionId` is omitted; answers the ids revoked (empty when
   * the session is not the user's). Every instance refuses their access tokens within `tokens.revocationDelay`.
   */
  revoke: (userId: string, sessionId?: string) => Promise<string[]>
}

export interface SessionsApiOptions {
  store: SessionStore
  sessions: SessionService
  cookies: CookieJar
  events: AuthgateEvents
  /** True with the built-in users collection (no `verifyCredentials`). */
  usersInStore: boolean
}

export function createSessionsApi (options: SessionsApiOptions): AuthgateSessions {
  const { store, sessions, cookies } = options

  async function sessionUser (user: VerifiedUser): Promise<SessionUser> {
    const given = checkedInput(user)
    if (!options.usersInStore) return given
    const stored = await store.findUserById(given.id)
    if (stored === null) throw new AuthError('AUTH_INVALID_CREDENTIALS')
    if (stored.disabled === true) throw new AuthError('AUTH_USER_DISABLED')
    return { id: stored.id, email: presentEmail(stored.email), roles: [...stored.roles], ...(stored.emailVerified === undefined ? {} : { emailVerified: stored.emailVerified }) }
  }

  return {
    async issue (user, request, reply) {
      const checked = await sessionUser(user)
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
      const { sessions: listed } = await sessions.list(userId, { limit: MAX_LISTED_SESSIONS })
      return listed.map((session) => ({
        id: session.id,
        device: session.device,
        ip: session.ip,
        userAgent: session.userAgent,
        createdAt: session.createdAt,
        lastUsedAt: session.lastUsedAt,
        expiresAt: session.expiresAt
      }))
    },
    async revoke (userId, sessionId) {
      if (sessionId === undefined) return await sessions.revokeAll(userId)
      return (await sessions.revokeOne(userId, sessionId)) ? [sessionId] : []
    }
  }
}

/**
 * The user an application hands to `issue`, checked as tokens will need it. A malformed one is the calling code's
 * bug, not the client's: a TypeError naming the field (answered 500 by Fastify), never a session with an identity a
 * token or a forwarded header would refuse.
 */
function checkedInput (user: unknown): SessionUser {
  if (typeof user !== 'object' || user === null) throw new TypeError('sessions.issue(user, request, reply): user must be an object { id, email?, roles? }')
  const { id, email, roles = [] } = user as { id?: unknown, email?: unknown, roles?: unknown }
  if (!isIdentifier(id)) throw new TypeError('sessions.issue: user.id must be a string of 1 to 1024 characters without control characters')
  if (!isRoleList(roles)) throw new TypeError(`sessions.issue: user.roles must be an array of at most ${MAX_ROLES} role names (1 to 128 characters, no commas or control characters)`)
  if (email !== undefined && email !== null && typeof email !== 'string') throw new TypeError('sessions.issue: user.email must be a string')
  return { id, email: presentEmail(email), roles: [...roles] }
}
