// The per-route authentication hook: the gateway's hot path. One synchronous onRequest hook per route, built once
// at start-up with the route's policy baked in (route-access.ts): no per-request lookups of the policy, no promises.
// It runs before any byte is sent upstream, so a refused request never reaches the upstream, and a large body it
// announced is never read: the refusal closes the connection instead (unread-body.ts).
import type { onRequestHookHandler } from 'fastify'
import { AuthError, type AuthgateDecorator } from '@authgate/fastify'
import { sendAuthError } from '@authgate/fastify/proxy'
import type { RouteConfig } from './config.js'
import { sendGatewayError } from './errors.js'
import type { GatewayMetrics } from './metrics.js'
import { createRouteAccess } from './route-access.js'
import { closeIfBodyUnread } from './unread-body.js'
import type { WebSocketExpiry } from './ws-expiry.js'

export function createAuthHook (route: RouteConfig, authgate: AuthgateDecorator, metrics: GatewayMetrics, expiry?: WebSocketExpiry): onRequestHookHandler {
  const { websocket } = route
  const access = createRouteAccess(route, authgate, metrics)
  return function gatewayAuth (request, reply, done) {
    const upgrade = request.headers.upgrade
    // Only a WebSocket route may switch protocols, and only to WebSocket: `Upgrade: h2c` is a smuggling vector (B.26).
    if (upgrade !== undefined && (!websocket || upgrade.toLowerCase() !== 'websocket')) {
      closeIfBodyUnread(request, reply)
      sendGatewayError(reply, 'GATEWAY_UPGRADE_REFUSED')
      return
    }
    const decision = access(request.headers, request.raw.rawHeaders, request.log)
    if (decision instanceof AuthError) {
      closeIfBodyUnread(request, reply)
      sendAuthError(reply, decision)
      return
    }
    if (decision !== null) {
      request.user = decision
      if (upgrade !== undefined && expiry !== undefined) expiry.note(request.raw.socket, decision)
    }
    done()
  }
}
