// What a route's policy makes of a request's Authorization, shared by the proxy's auth hook (auth-hook.ts) and the
// forward-auth endpoint (forward-auth.ts), so a proxy in front of authgate and authgate's own proxy can never
// disagree about who may reach a path. The decision itself is the plugin's compiled route policy (the same one its
// own routes use); the gateway adds only that the identity must fit in headers. Synchronous, built once per route,
// allocates nothing beyond what the verifier memoises.
import type { FastifyBaseLogger } from 'fastify'
import { AuthError, type AccessClaims, type AuthgateDecorator } from '@authgate/fastify'
import { compileRoutePolicy, type AuthHeaders, type RoutePolicy } from '@authgate/fastify/proxy'
import type { RouteConfig } from './config.js'
import { unforwardableReason } from './identity-values.js'
import type { GatewayMetrics } from './metrics.js'

const UNFORWARDABLE = new AuthError('AUTH_FORBIDDEN', { message: 'This identity cannot be forwarded in headers' })
/** Claims already found forwardable: the verifier memoises one frozen claims object per token, so each is checked once. */
const forwardable = new WeakSet<object>()

/** The claims to forward, null (anonymous and allowed: `auth: none`, or `optional` without credentials), or the refusal. */
export type RouteAccess = AccessClaims | null | AuthError

export type RouteAccessCheck = (headers: AuthHeaders, rawHeaders: readonly string[] | undefined, log: FastifyBaseLogger) => RouteAccess

/**
 * A route's `auth` and `roles`, compiled by the plugin's route policy (the one decision authgate has): for its
 * auth hook and forward-auth here, and for the prefix-spelling check (paths.ts), which compares policies.
 */
export function routePolicyOf (route: Pick<RouteConfig, 'prefix' | 'auth' | 'roles'>): RoutePolicy {
  return compileRoutePolicy({ auth: route.auth, roles: route.roles }, { where: `route ${route.prefix}: ` })
}

export function createRouteAccess (route: Pick<RouteConfig, 'prefix' | 'auth' | 'roles'>, authgate: AuthgateDecorator, metrics: GatewayMetrics): RouteAccessCheck {
  const policy = routePolicyOf(route)
  return (headers, rawHeaders, log) => {
    if (policy.isPublic) return null
    const decision = policy.admit(authgate.authenticate(headers, rawHeaders))
    if (decision === null) return null
    if (decision instanceof AuthError) {
      metrics.countAuthFailure(decision.code)
      return decision
    }
    // A token whose id or roles headers cannot carry (minted before the source refused them, or by a tool): a
    // clear 403 here, not a 502 from the proxy at every request.
    if (!forwardable.has(decision)) {
      const reason = unforwardableReason(decision)
      if (reason !== undefined) {
        log.warn({ event: 'identity_unforwardable', reason }, 'a token\'s identity cannot be forwarded in headers')
        metrics.countAuthFailure('AUTH_FORBIDDEN')
        return UNFORWARDABLE
      }
      forwardable.add(decision)
    }
    return decision
  }
}
