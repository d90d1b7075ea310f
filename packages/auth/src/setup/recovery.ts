// Whether the plugin serves password reset, change and email verification, and with what: built-in users only
// (another user source owns its passwords), a store that has the methods, the SMTP sender when mail.smtp is set.
import type { FastifyBaseLogger } from 'fastify'
import type { AuthgateEvents } from '../events.js'
import type { NormalisedOptions } from '../options/types.js'
import { settledWithin } from '../internal/deadline.js'
import type { AccountLockout } from '../limits/account-lockout.js'
import type { SessionService } from '../sessions/service.js'
import { RECOVERY_STORE_METHODS, type SessionStore } from '../stores/store.js'
import { createRecoveryService, hasRecoveryMethods, type RecoveryService } from '../recovery/service.js'
import { createSmtpSender } from '../recovery/smtp.js'

export interface RecoverySetup {
  service: RecoveryService
  /** Whether links can be built (a public origin is configured): /password/forgot and /email/verify/request exist. */
  links: boolean
  close: () => Promise<void>
}

export interface SetupInput {
  options: NormalisedOptions
  store: SessionStore
  sessions: SessionService
  events: AuthgateEvents
  logger: FastifyBaseLogger
  lockout: AccountLockout | undefined
}

export async function setUpRecovery ({ options, store, sessions, events, logger, lockout }: SetupInput): Promise<RecoverySetup | undefined> {
  if (options.verifyCredentials !== undefined) return undefined
  if (!hasRecoveryMethods(store)) {
    const missing = RECOVERY_STORE_METHODS.filter((name) => typeof store[name] !== 'function').join(', ')
    // Asked for explicitly: refuse to start rather than run without what the operator configured.
    if (options.recovery.wanted) throw new Error(`@authgate/fastify: mail and auth.requireVerifiedEmail need a store with ${missing} (password reset and email verification)`)
    logger.warn({ event: 'recovery_unsupported', missing }, 'authgate: the store lacks the password-reset methods: no password reset, change or email verification routes')
    return undefined
  }
  const publicOrigin = typeof options.publicOrigin === 'string' ? options.publicOrigin : undefined
  const sender = options.recovery.smtp === undefined ? undefined : await createSmtpSender(options.recovery.smtp)
  const service = createRecoveryService({ store, sessions, events, logger, options: options.recovery, publicOrigin, sender, lockout })
  return {
    service,
    links: publicOrigin !== undefined,
    async close () {
      // Jobs in flight write to the store and the mail server: let them end, bounded by their own timeouts.
      await settledWithin(service.idle(), 2000)
      const forgotten = service.stop()
      if (forgotten > 0) logger.warn({ event: 'recovery_jobs_dropped_at_close', dropped: forgotten }, 'authgate: recovery deliveries still waiting at close were dropped')
      sender?.close()
    }
  }
}
