// Password reset, password change and email verification: the flows behind http/routes/recovery.ts.
//
// Links go out off the request path (delivery-queue.ts): `forgot` answers before the account is even looked up.
// Tokens are single-use (consumed by one atomic store call) and purpose-bound; one error code for every way a token
// can be wrong. A new password goes through the same length policy and argon2 hashing as registration.
import type { FastifyBaseLogger } from 'fastify'
import { AuthError } from '../errors.js'
import type { AuthgateEvents } from '../events.js'
import type { NormalisedRecovery } from './types.js'
import { checkPasswordPolicy, hashPassword, verifyDummy, verifyPassword } from '../users/passwords.js'
import type { ClientInfo } from '../sessions/client-info.js'
import type { SessionService } from '../sessions/service.js'
import { RECOVERY_STORE_METHODS, type OneTimePurpose, type SessionStore } from '../stores/store.js'
import { parseEmail } from '../stores/email-identity.js'
import { findUserByEmail } from '../users/add-user.js'
import type { AccountLockout } from '../limits/account-lockout.js'
import { lockoutEmailKey, lockoutUserKey } from '../limits/lockout-key.js'
import { presentEmail } from '../stores/user-email.js'
import { createDeliveryQueue } from './delivery-queue.js'
import { generateOneTimeToken, hashOneTimeToken, isOneTimeTokenFormat, oneTimeLink } from './one-time-token.js'
import type { MailSender } from './smtp.js'
import type { TemplateFunction } from './templates.js'

/** The store with the recovery methods present (checked once, at registration). */
type RecoveryStore = SessionStore & Required<Pick<SessionStore, typeof RECOVERY_STORE_METHODS[number]>>

export function hasRecoveryMethods (store: SessionStore): store is RecoveryStore {
  return RECOVERY_STORE_METHODS.every((name) => typeof store[name] === 'function')
}

export interface RecoveryService {
  /** Queues a reset link for the account of `email`, if there is one. Never throws, never waits. */
  requestReset: (email: string, ip: string) => void
  /** Queues a verification link for the user. Never throws, never waits. */
  requestVerification: (userId: string, ip: string) => void
  /**
   * Queues a verification link when one can reach the user (mail.smtp or an `emailVerification` listener): after
   * /register, and when /login refuses an unverified account (its password verified). Never throws, never waits.
   */
  offerVerification: (userId: string, ip: string) => void
  /** Rejects with AUTH_RESET_INVALID (400) or AUTH_BAD_REQUEST (the password policy). */
  reset: (token: unknown, password: string, client: ClientInfo) => Promise<void>
  verifyEmail: (token: unknown, ip: string) => Promise<void>
  /** Rejects with AUTH_INVALID_CREDENTIALS when `current` is wrong; keeps session `keepSessionId`. */
  change: (userId: string, keepSessionId: string, current: string, next: string, client: ClientInfo) => Promise<void>
  idle: () => Promise<void>
  /** Delivery jobs refused so far (queue full, or stopped). */
  dropped: () => number
  /** Stops the delivery queue; returns how many waiting jobs were forgotten. */
  stop: () => number
}

export interface RecoveryDependencies {
  store: RecoveryStore
  sessions: SessionService
  events: AuthgateEvents
  logger: FastifyBaseLogger
  options: NormalisedRecovery
  /** Undefined: links are delivered by the events only. */
  publicOrigin: string | undefined
  sender: MailSender | undefined
  /** The login lockout (undefined with rateLimit: false): a reset forgives it, a wrong current password counts. */
  lockout?: AccountLockout | undefined
}

function isEmailAddress (input: string): boolean {
  try {
    parseEmail(input)
    return true
  } catch {
    return false
  }
}

export function createRecoveryService (deps: RecoveryDependencies): RecoveryService {
  const { store, sessions, events, logger, options, publicOrigin, sender, lockout } = deps
  const queue = createDeliveryQueue(logger)

  async function issue (purpose: OneTimePurpose, user: { id: string, email: string, emailNormalized: string }, ip: string): Promise<void> {
    if (publicOrigin === undefined) return
    const ttlMs = purpose === 'passwordReset' ? options.resetTtlMs : options.verifyTtlMs
    const at = new Date()
    const expiresAt = new Date(at.getTime() + ttlMs)
    const token = generateOneTimeToken()
    await store.createOneTimeToken({ hash: hashOneTimeToken(token), purpose, userId: user.id, email: user.emailNormalized, createdAt: at, expiresAt })
    const path = purpose === 'passwordReset' ? options.resetLinkPath : options.verifyLinkPath
    const link = oneTimeLink(publicOrigin, path, token)
    // An account without a real address (an OIDC placeholder `oidc:provider:id`) gets no link at all.
    const email = presentEmail(user.email)
    if (email === null) return
    events.emit(purpose, { userId: user.id, email, link, token, expiresAt, ip, at })
    if (sender === undefined) return
    const template: TemplateFunction = options.templates[purpose]
    try {
      await sender.send(email, template({ email, link, expiresAt, minutes: Math.ceil(ttlMs / 60_000) }))
    } catch (error) {
      // The user id and the failure's kind only: the error of a mail library may quote the message (the link).
      logger.warn({ event: 'mail_delivery_failed', purpose, userId: user.id, code: (error as { code?: unknown }).code, name: error instanceof Error ? error.name : undefined }, 'authgate: could not send a mail')
    }
  }

  function queued (what: string, userHint: Record<string, unknown>, job: () => Promise<void>): void {
    queue.push(async () => {
      try {
        await job()
      } catch (error) {
        logger.warn({ event: 'recovery_delivery_failed', what, ...userHint, code: (error as { code?: unknown }).code }, 'authgate: a recovery link could not be issued')
      }
    })
  }

  async function consume (token: unknown, purpose: OneTimePurpose): Promise<{ userId: string, email: string }> {
    if (!isOneTimeTokenFormat(token)) throw new AuthError('AUTH_RESET_INVALID')
    const record = await store.consumeOneTimeToken(hashOneTimeToken(token), purpose, new Date())
    if (record === null) throw new AuthError('AUTH_RESET_INVALID')
    return { userId: record.userId, email: record.email }
  }

  function requestVerification (userId: string, ip: string): void {
    queued('emailVerification', { userId }, async () => {
      const user = await store.findUserById(userId)
      if (user !== null && user.emailVerified !== true) await issue('emailVerification', user, ip)
    })
  }

  return {
    requestReset (email, ip) {
      // Only what registration would accept as an address is looked up: never a placeholder identity key.
      if (!isEmailAddress(email)) return
      queued('passwordReset', {}, async () => {
        const user = await findUserByEmail(store, email)
        if (user !== null) await issue('passwordReset', user, ip)
      })
    },

    requestVerification,

    offerVerification (userId, ip) {
      if (sender !== undefined || events.listening('emailVerification')) requestVerification(userId, ip)
    },

    async reset (token, password, client) {
      // Before the token is consumed: a password the policy refuses must not cost the user their link.
      checkPasswordPolicy(password)
      const { userId, email } = await consume(token, 'passwordReset')
      const user = await store.findUserById(userId)
      // The account changed its email (or went) since the link was sent: the link belonged to the old address.
      if (user?.emailNormalized !== email) throw new AuthError('AUTH_RESET_INVALID')
      const now = new Date()
      if (!await store.setUserPassword(userId, await hashPassword(password), now)) throw new AuthError('AUTH_RESET_INVALID')
      // Every other reset link of the user dies with this one.
      await store.deleteOneTimeTokens(userId, 'passwordReset')
      // Following a link mailed to the address proves it is the user's, as a verification link would.
      if (user.emailVerified !== true) await store.setEmailVerified(userId, email, now)
      // The mailbox's owner set a new password: the failures a guesser piled up must not keep the owner out now.
      await lockout?.forgive(lockoutUserKey(userId))
      await lockout?.forgive(lockoutEmailKey(user.email))
      const ended = await sessions.revokeAll(userId)
      events.emit('logout', { userId, sessionIds: ended, reason: 'logout-all', ip: client.ip, at: now })
      events.emit('passwordChanged', { userId, via: 'reset', ip: client.ip, userAgent: client.userAgent, at: now })
    },

    async verifyEmail (token, ip) {
      const { userId, email } = await consume(token, 'emailVerification')
      const now = new Date()
      if (!await store.setEmailVerified(userId, email, now)) throw new AuthError('AUTH_RESET_INVALID')
      events.emit('emailVerified', { userId, ip, at: now })
    },

    async change (userId, keepSessionId, current, next, client) {
      // A stolen access token must not be a way around the login lockout to guess the password: a locked account
      // is refused here too, and every wrong current password counts against it.
      const userKey = lockoutUserKey(userId)
      const wait = await lockout?.retryAfter(userKey) ?? 0
      if (wait > 0) throw new AuthError('AUTH_RATE_LIMITED', { retryAfter: wait })
      const user = await store.findUserById(userId)
      // The same work whether or not the user has a password (an OIDC-only account): no timing difference.
      const right = user?.passwordHash === undefined ? await verifyDummy(current) : await verifyPassword(user.passwordHash, current)
      if (!right || user === null) {
        await lockout?.recordFailure(userKey)
        throw new AuthError('AUTH_INVALID_CREDENTIALS')
      }
      checkPasswordPolicy(next)
      const now = new Date()
      if (!await store.setUserPassword(userId, await hashPassword(next), now)) throw new AuthError('AUTH_INVALID_CREDENTIALS')
      // A reset link asked before the change must not undo it.
      await store.deleteOneTimeTokens(userId, 'passwordReset')
      const ended = await sessions.revokeAll(userId, keepSessionId)
      events.emit('logout', { userId, sessionIds: ended, reason: 'revoke-others', ip: client.ip, at: now })
      events.emit('passwordChanged', { userId, via: 'change', ip: client.ip, userAgent: client.userAgent, at: now })
    },

    idle: () => queue.idle(),
    dropped: () => queue.dropped(),
    stop: () => queue.stop()
  }
}
