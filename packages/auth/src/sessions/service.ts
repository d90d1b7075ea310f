// Refresh sessions (docs/design.md#token-model): issue on login, rotate on refresh with one atomic conditional update,
// hand the same successor to every request presenting the just-retired token within the grace window, and treat a
// retired token presented later as reuse (revoke the whole family, report a classified `refreshReuse` event).
import { randomBytes } from 'node:crypto'
import { AuthError } from '../errors.js'
import type { AuthgateEvents } from '../events.js'
import type { SessionPage, SessionRecord, SessionStore } from '../stores/store.js'
import type { AccessTokenService, RevocationList, SignedAccessToken, SignInput } from '../tokens/types.js'
import type { ClientInfo } from './client-info.js'
import type { DeviceIdentity } from './client-info.js'
import { comesAfter, newestFirst } from '../stores/session-order.js'
import { presentEmail } from '../stores/user-email.js'
import { generateRefreshToken, hashRefreshToken, isRefreshTokenFormat } from './refresh-token.js'
import { classifyReuse } from './reuse.js'
import { openSuccessor, sealSuccessor } from './successor.js'
import type { UserRecheck } from './user-recheck.js'
import type { IpSighting } from '../notifications/ip-watch.js'

export interface SessionUser {
  id: string
  email: string | null
  roles: string[]
  /** Built-in users only: the `email_verified` claim. */
  emailVerified?: boolean
}

function signInput (user: SessionUser, sid: string): SignInput {
  return { sub: user.id, sid, roles: user.roles, ...(user.emailVerified === undefined ? {} : { emailVerified: user.emailVerified }) }
}

export interface IssuedSession {
  /** The refresh token: for the cookie only, never a body, URL or log line. */
  refreshToken: string
  session: SessionRecord
  access: SignedAccessToken
  user: SessionUser
}

export interface SessionLogger {
  warn: (object: Record<string, unknown>, message: string) => void
}

export interface SessionServiceOptions {
  store: SessionStore
  tokens: AccessTokenService
  revocations: RevocationList
  events: AuthgateEvents
  refreshTtlMs: number
  idleTimeoutMs: number
  reuseGraceMs: number
  reuseDetection: 'revoke' | 'report'
  /** False with `verifyCredentials`: users are not in the store, roles come from the session. */
  usersInStore: boolean
  /** With usersInStore false: re-resolves the user at refresh (`refreshUser`); absent, the login's roles stay. */
  recheckUser?: UserRecheck
  /** Told of every login and rotation (notifications/ip-watch.ts); must return at once and never throw. */
  onSighting?: (sighting: IpSighting) => void
  logger: SessionLogger
}

export interface SessionService {
  /**
   * With users in the store, rejects with AUTH_USER_DISABLED (403) or AUTH_INVALID_CREDENTIALS (401) when the user was
   * disabled or deleted while the session was being made (the session is revoked again).
   */
  issue: (user: SessionUser, client: ClientInfo, device: DeviceIdentity) => Promise<IssuedSession>
  /** Rejects with AuthError AUTH_REFRESH_INVALID / AUTH_REFRESH_REUSED (401) or AUTH_STORE_UNAVAILABLE (503). */
  refresh: (presented: string | undefined, client: ClientInfo) => Promise<IssuedSession>
  /** Ends the session of the presented token; null when there was none to end. */
  logout: (presented: string | undefined) => Promise<SessionRecord | null>
  revokeAll: (userId: string, exceptId?: string) => Promise<string[]>
  /**
   * Revokes every token of the external user (`issuer`, `sub`) issued until now, on every instance within the
   * revocation delay (tokens/subject-revocation.ts). Rejects with AUTH_STORE_UNAVAILABLE when the store cannot write it.
   */
  revokeSubject: (issuer: string, sub: string) => Promise<void>
  /** False when the session is not one of the user's. */
  revokeOne: (userId: string, sessionId: string) => Promise<boolean>
  /** One page of the user's live sessions, newest first; `more` when a further page exists. */
  list: (userId: string, page: SessionPage) => Promise<{ sessions: SessionRecord[], more: boolean }>
}

export function createSessionService (options: SessionServiceOptions): SessionService {
  const { store, tokens, revocations, events, logger } = options
  const idleSince = (now: Date): Date => new Date(now.getTime() - options.idleTimeoutMs)

  function markRevoked (ids: string[], now: Date): void {
    // This instance knows at once; other instances within the revocation delay.
    for (const id of ids) revocations.add(id, now)
  }

  /**
   * The user is read again once their session exists: a disable or delete that landed between the login's check and
   * this session's creation revoked every session but this one, which must not survive it. Revoked the way revokeOne
   * does (this instance at once, others within the revocation delay); AUTH_USER_DISABLED, or 401 for a user gone.
   */
  async function confirmIssued (userId: string, sessionId: string, now: Date): Promise<void> {
    const user = await store.findUserById(userId)
    if (user !== null && user.disabled !== true) return
    const { revoked } = await store.revokeUserSession(userId, sessionId, now)
    if (revoked) markRevoked([sessionId], now)
    throw new AuthError(user === null ? 'AUTH_INVALID_CREDENTIALS' : 'AUTH_USER_DISABLED')
  }

  /** Roles are read again at every refresh, so a role change reaches the next access token. */
  async function currentUser (session: SessionRecord, now: Date): Promise<SessionUser> {
    if (!options.usersInStore) {
      if (options.recheckUser === undefined) return { id: session.userId, email: session.email, roles: session.roles }
      const user = await options.recheckUser(session, now)
      if (user !== null) return user
      // The user source no longer knows the user: none of its sessions may go on, on any device.
      markRevoked(await store.revokeUserSessions(session.userId, now), now)
      logger.warn({ event: 'user_gone', userId: session.userId, sessionId: session.id }, 'authgate: the user source no longer knows this user; every session revoked')
      throw new AuthError('AUTH_REFRESH_INVALID')
    }
    const user = await store.findUserById(session.userId)
    if (user === null) {
      markRevoked(await store.revokeFamily(session.familyId, now), now)
      throw new AuthError('AUTH_REFRESH_INVALID')
    }
    if (user.disabled === true) {
      // Disabling revoked every session; one that survived (a race with the disable) ends here.
      markRevoked(await store.revokeUserSessions(user.id, now), now)
      throw new AuthError('AUTH_USER_DISABLED')
    }
    return { id: user.id, email: presentEmail(user.email), roles: user.roles, emailVerified: user.emailVerified === true }
  }

  function answer (refreshToken: string, session: SessionRecord, user: SessionUser): IssuedSession {
    const access = tokens.sign(signInput(user, session.id))
    return { refreshToken, session, access, user }
  }

  async function reuse (session: SessionRecord, hash: string, client: ClientInfo, now: Date): Promise<never> {
    const facts = classifyReuse(session, hash, client, now, options.reuseGraceMs)
    const revoke = options.reuseDetection === 'revoke'
    if (revoke) markRevoked(await store.revokeFamily(session.familyId, now), now)
    else if (session.grace?.hash === hash) await store.clearGrace(session.id, hash)
    logger.warn({ event: 'refresh_reuse', sessionId: session.id, userId: session.userId, classification: facts.classification, revoked: revoke },
      'authgate: refresh token reuse')
    events.emit('refreshReuse', {
      userId: session.userId, sessionId: session.id, familyId: session.familyId, ...facts, revoked: revoke, ip: client.ip, userAgent: client.userAgent, at: now
    })
    // In report mode the session lives on for its rightful holder; the replayed token still gets nothing.
    throw new AuthError(revoke ? 'AUTH_REFRESH_REUSED' : 'AUTH_REFRESH_INVALID')
  }

  return {
    async issue (user, client, device) {
      const deviceId = device.id
      const now = new Date()
      const id = randomBytes(16).toString('base64url')
      const refreshToken = generateRefreshToken()
      // Signed before anything is stored: with keys unavailable (503) no orphan session is left behind.
      const access = tokens.sign(signInput(user, id))
      const session = await store.createSession({
        id, userId: user.id, familyId: id, tokenHash: hashRefreshToken(refreshToken), roles: user.roles, email: user.email,
        device: deviceId, ip: client.ip, userAgent: client.userAgent, createdAt: now, lastUsedAt: now,
        expiresAt: new Date(now.getTime() + options.refreshTtlMs)
      })
      if (options.usersInStore) await confirmIssued(user.id, id, now)
      try {
        const seen = { userId: user.id, deviceId, userAgent: client.userAgent, ip: client.ip, now }
        const { isNew } = await store.recordDevice(device.legacyId === undefined ? seen : { ...seen, legacyDeviceId: device.legacyId })
        if (isNew) events.emit('newDevice', { userId: user.id, deviceId, sessionId: id, ip: client.ip, userAgent: client.userAgent, at: now })
      } catch (error) {
        // Device tracking is advisory: the session exists, the login stands.
        logger.warn({ event: 'device_record_failed', userId: user.id, err: error }, 'authgate: could not record the device')
      }
      events.emit('login', { userId: user.id, sessionId: id, deviceId, ip: client.ip, userAgent: client.userAgent, at: now })
      options.onSighting?.({ userId: user.id, sessionId: id, ip: client.ip, userAgent: client.userAgent, via: 'login', at: now })
      return { refreshToken, session, access, user }
    },

    async refresh (presented, client) {
      if (!isRefreshTokenFormat(presented)) throw new AuthError('AUTH_REFRESH_INVALID')
      const now = new Date()
      const hash = hashRefreshToken(presented)
      const current = await store.findByTokenHash(hash, now, idleSince(now))
      let user: SessionUser | undefined
      if (current !== null) {
        // Everything that can fail (the user read, signing: keys may be unavailable) runs BEFORE the compare-and-swap.
        // Once RT1 is retired the client must get RT2; a 503 after the swap would leave it holding RT1, and its retry
        // after the grace window would read as reuse and log it out (an outage must not look like a logout).
        user = await currentUser(current, now)
        const access = tokens.sign(signInput(user, current.id))
        const next = generateRefreshToken()
        const rotated = await store.rotateSession({
          currentHash: hash, nextHash: hashRefreshToken(next), now, idleSince: idleSince(now), ip: client.ip, userAgent: client.userAgent,
          grace: { hash, retiredAt: now, sealed: sealSuccessor(presented, hash, next) }
        })
        if (rotated !== null) {
          options.onSighting?.({ userId: user.id, sessionId: current.id, ip: client.ip, userAgent: client.userAgent, via: 'refresh', at: now })
          return { refreshToken: next, session: rotated, access, user }
        }
      }
      // Not current (or a concurrent request rotated first): the grace window or reuse. Unknown tokens end here
      // without touching the rotation claims.
      const session = await store.findByPreviousHash(hash)
      if (session === null) throw new AuthError('AUTH_REFRESH_INVALID')
      // A revoked (logged out) or expired session is over: replaying one of its tokens is not theft.
      if (session.revokedAt !== null || session.expiresAt <= now || session.lastUsedAt <= idleSince(now)) {
        throw new AuthError('AUTH_REFRESH_INVALID')
      }
      const grace = session.grace
      const graceOpen = grace !== null && now.getTime() - grace.retiredAt.getTime() < options.reuseGraceMs
      // Housekeeping: the sealed successor must not outlive its window (docs/design.md#token-model).
      if (grace !== null && !graceOpen) await store.clearGrace(session.id, grace.hash)
      if (grace !== null && graceOpen && grace.hash === hash) {
        const successor = openSuccessor(presented, hash, grace.sealed)
        // A request that lost the race has read the user already (same session): no second read.
        if (successor !== undefined) {
          const owner = user ?? await currentUser(session, now)
          // The loser of a race may come from elsewhere (a second device holding the token): it is a sighting too.
          options.onSighting?.({ userId: owner.id, sessionId: session.id, ip: client.ip, userAgent: client.userAgent, via: 'refresh', at: now })
          return answer(successor, session, owner)
        }
      }
      return reuse(session, hash, client, now)
    },

    async logout (presented) {
      if (!isRefreshTokenFormat(presented)) return null
      const now = new Date()
      const session = await store.revokeByTokenHash(hashRefreshToken(presented), now, new Date(now.getTime() - options.reuseGraceMs))
      if (session !== null) markRevoked([session.id], now)
      return session
    },

    async revokeAll (userId, exceptId) {
      const now = new Date()
      const ids = await store.revokeUserSessions(userId, now, exceptId)
      markRevoked(ids, now)
      return ids
    },

    async revokeSubject (issuer, sub) {
      const now = new Date()
      // Here first: a store that is down answers 503, but this instance already refuses the user's tokens.
      revocations.addSubject?.(issuer, sub, now)
      // Without revokeSubject the revocation stays on this instance (said once at start-up, plugin.ts).
      await store.revokeSubject?.(issuer, sub, now)
    },

    async revokeOne (userId, sessionId) {
      const now = new Date()
      const { found, revoked } = await store.revokeUserSession(userId, sessionId, now)
      if (revoked) markRevoked([sessionId], now)
      return found
    },

    async list (userId, page) {
      const now = new Date()
      // One more than the page: whether a next page exists, without a count query.
      const found = await store.listUserSessions(userId, now, idleSince(now), { ...page, limit: page.limit + 1 })
      // The position, order and size are applied here as well: a custom store written before `page` existed
      // answers the whole list every time, and its callers would otherwise page forever.
      const after = page.after
      const sessions = (after === undefined ? found : found.filter((session) => comesAfter(session, after))).sort(newestFirst)
      return { sessions: sessions.slice(0, page.limit), more: sessions.length > page.limit }
    }
  }
}
