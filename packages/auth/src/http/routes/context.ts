// What the auth routes share: options, services and the helpers that shape their answers.
import type { FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { FastifyReply } from 'fastify'
import type { CookieJar } from '../cookies.js'
import type { AuthgateEvents } from '../../events.js'
import type { NormalisedOptions } from '../../options/normalise.js'
import type { IssuedSession, SessionService } from '../../sessions/service.js'
import type { SessionStore } from '../../stores/store.js'
import type { AccessTokenService } from '../../tokens/types.js'
import type { AccountLockout } from '../../limits/account-lockout.js'
import type { OidcService } from '../../oidc/service.js'
import type { AuthMetrics } from '../../metrics/auth-metrics.js'
import type { RecoveryService } from '../../recovery/service.js'
import type { AdminStore } from '../../admin/store-support.js'
import type { PluginAudit } from '../../setup/audit.js'

export interface RouteContext {
  options: NormalisedOptions
  store: SessionStore
  tokens: AccessTokenService
  sessions: SessionService
  cookies: CookieJar
  events: AuthgateEvents
  /** Undefined when rate limits are off. */
  lockout: AccountLockout | undefined
  /** The shared (Redis) store of @fastify/rate-limit; undefined: its per-process default. */
  rateLimitStore: FastifyRateLimitStoreCtor | undefined
  /** The OIDC providers (`oidc` option); undefined: no OIDC routes. */
  oidc?: OidcService | undefined
  /** The store, when the admin API is served (setup/admin.ts); undefined: no admin routes. */
  adminStore?: AdminStore | undefined
  /** The `metrics` option's outcome counters; undefined: no metrics. */
  metrics?: AuthMetrics | undefined
  /** The audit trail's query (GET /admin/audit); 404 AUTH_NOT_FOUND when there is no trail. */
  queryAudit: PluginAudit['query']
  /** Password reset/change and email verification; undefined: those routes do not exist (another user source). */
  recovery?: { service: RecoveryService, links: boolean } | undefined
}

/**
 * The login/refresh answer (docs/design.md#http-contract): the access token in the body, the refresh token in the
 * cookie only.
 */
export function sendSession (context: RouteContext, reply: FastifyReply, issued: IssuedSession): FastifyReply {
  context.cookies.setRefresh(reply, issued.refreshToken, issued.session.expiresAt)
  return reply
    .header('cache-control', 'no-store')
    .send({ accessToken: issued.access.token, tokenType: 'Bearer', expiresIn: issued.access.expiresIn, user: issued.user })
}
