// The per-route authentication hook: the gateway's hot path. One synchronous onRequest hook per route, built once
// at start-up with the route's policy baked in: no per-request lookups of the policy, no promises. It runs before
// any byte is sent upstream, so a refused request never reaches the upstream, and a large body it announced is never
// read: the refusal closes the connection instead (unread-body.ts).
import type { onRequestHookHandler } from 'fastify'
import { AuthError, checkRoles, sendAuthError, type AuthgateDecorator } from '@authgate/fastify'
import type { RouteConfig } from './config.js'
import { sendGatewayError } from './errors.js'
import { unforwardableReason } from './identity-values.js'
import type { GatewayMetrics } from './metrics.js'
import { closeIfBodyUnread } from './unread-body.js'
import type { WebSocketExpiry } from './ws-expiry.js'

const FORBIDDEN = new AuthError('AUTH_FORBIDDEN')
const UNFORWARDABLE = new AuthError('AUTH_FORBIDDEN', { message: 'This identity cannot be forwarded in headers' })
/** Claims already found forwardable: the verifier memoises one frozen claims object per token, so each is checked once. */
const forwardable = new WeakSet<object>()

export function createAuthHook (route: RouteConfig, authgate: AuthgateDecorator, metrics: GatewayMetrics, expiry?: WebSocketExpiry): onRequestHookHandler {
  const { auth: mode, roles, websocket } = route
  const needsRoles = roles.length > 0
  return function gatewayAuth (request, reply, done) {
    const upgrade = request.headers.upgrade
    // Only a WebSocket route may switch protocols, and only to WebSocket: `Upgrade: h2c` is a smuggling vector (B.26).
    if (upgrade !== undefined && (!websocket || upgrade.toLowerCase() !== 'websocket')) {
      closeIfBodyUnread(request, reply)
      sendGatewayError(reply, 'GATEWAY_UPGRADE_REFUSED')
      return
    }
    if (mode === 'none') {
      done()
      return
    }
    const outcome = authgate.authenticate(request.headers, request.raw.rawHeaders)
    if (outcome.ok) {
      if (needsRoles && !checkRoles(outcome.claims, roles)) {
        metrics.countAuthFailure('AUTH_FORBIDDEN')
        closeIfBodyUnread(request, reply)
        sendAuthError(reply, FORBIDDEN)
        return
      }
      // A token whose id or roles headers cannot carry (minted before the source refused them, or by a tool): a
      // clear 403 here, not a 502 from the proxy at every request.
      if (!forwardable.has(outcome.claims)) {
        const reason = unforwardableReason(outcome.claims)
        if (reason !== undefined) {
          request.log.warn({ event: 'identity_unforwardable', reason }, 'a token\'s identity cannot be forwarded in headers')
          metrics.countAuthFailure('AUTH_FORBIDDEN')
          sendAuthError(reply, UNFORWARDABLE)
          return
        }
        forwardable.add(outcome.claims)
      }
      request.user = outcome.claims
      if (upgrade !== undefined && expiry !== undefined) expiry.note(request.raw.socket, outcome.claims)
      done()
      return
    }
    // `optional`: no credentials → anonymous; credentials that fail → 401, so a client knows to refresh
    // (the plugin's own `auth: 'optional'` does the same).
    if (mode === 'optional' && outcome.error.code === 'AUTH_TOKEN_MISSING') {
      done()
      return
    }
    metrics.countAuthFailure(outcome.error.code)
    closeIfBodyUnread(request, reply)
    sendAuthError(reply, outcome.error)
  }
}
