// The per-route authentication hook: the gateway's hot path. One synchronous onRequest hook per route, built once
// at start-up with the route's policy baked in: no per-request lookups of the policy, no promises. It runs before
// any byte is sent upstream, so a refused request never reaches the upstream, and a large body it announced is never
// read: the refusal closes the connection instead (unread-body.ts).
import type { onRequestHookHandler } from 'fastify'
import { AuthError, checkRoles, sendAuthError, type AuthgateDecorator } from '@authgate/fastify'
import type { RouteConfig } from './config.js'
import { sendGatewayError } from './errors.js'
import type { GatewayMetrics } from './metrics.js'
import { closeIfBodyUnread } from './unread-body.js'
import type { WebSocketExpiry } from './ws-expiry.js'

const FORBIDDEN = new AuthError('AUTH_FORBIDDEN')

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
      request.user = outcome.claims
      if (upgrade !== undefined && expiry !== undefined) expiry.note(request.raw.socket, outcome.claims.exp)
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
