// What a route's policy makes of a request's Authorization: the one decision shared by the proxy's auth hook
// (auth-hook.ts) and the forward-auth endpoint (forward-auth.ts), so a proxy in front of authgate and authgate's
// own proxy can never disagree about who may reach a path. Synchronous, built once per route, allocates nothing
// beyond what the verifier memoises.
import type { FastifyBaseLogger } from 'fastify'
import { AuthError, checkRoles, type AccessClaims, type AuthHeaders, type AuthgateDecorator } from '@authgate/fastify'
import type { RouteConfig } from './config.js'
import { unforwardableReason } from './identity-values.js'
import type { GatewayMetrics } from './metrics.js'

const FORBIDDEN = new AuthError('AUTH_FORBIDDEN')
const UNFORWARDABLE = new AuthError('AUTH_FORBIDDEN', { message: 'This identity cannot be forwarded in headers' })
/** Claims already found forwardable: the verifier memoises one frozen claims object per token, so each is checked once. */
const forwardable = new WeakSet<object>()

/** The claims to forward, null (anonymous and allowed: `auth: none`, or `optional` without credentials), or the refusal. */
export type RouteAccess = AccessClaims | null | AuthError

export type RouteAccessCheck = (headers: AuthHeaders, rawHeaders: readonly string[] | undefined, log: FastifyBaseLogger) => RouteAccess

export function createRouteAccess (route: Pick<RouteConfig, 'auth' | 'roles'>, authgate: AuthgateDecorator, metrics: GatewayMetrics): RouteAccessCheck {
  const { auth: mode, roles } = route
  const needsRoles = roles.length > 0
  return (headers, rawHeaders, log) => {
    if (mode === 'none') return null
    const outcome = authgate.authenticate(headers, rawHeaders)
    if (outcome.ok) {
      if (needsRoles && !checkRoles(outcome.claims, roles)) {
        metrics.countAuthFailure('AUTH_FORBIDDEN')
        return FORBIDDEN
      }
      // A token whose id or roles headers cannot carry (minted before the source refused them, or by a tool): a
      // clear 403 here, not a 502 from the proxy at every request.
      if (!forwardable.has(outcome.claims)) {
        const reason = unforwardableReason(outcome.claims)
        if (reason !== undefined) {
          log.warn({ event: 'identity_unforwardable', reason }, 'a token\'s identity cannot be forwarded in headers')
          metrics.countAuthFailure('AUTH_FORBIDDEN')
          return UNFORWARDABLE
        }
        forwardable.add(outcome.claims)
      }
      return outcome.claims
    }
    // `optional`: no credentials → anonymous; credentials that fail → 401, so a client knows to refresh
    // (the plugin's own `auth: 'optional'` does the same).
    if (mode === 'optional' && outcome.error.code === 'AUTH_TOKEN_MISSING') return null
    metrics.countAuthFailure(outcome.error.code)
    return outcome.error
  }
}
