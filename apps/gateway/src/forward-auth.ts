// The forward-auth endpoint (issue #14 item 3, docs/design.md#http-contract): a proxy that stays in front (nginx
// `auth_request`, Traefik ForwardAuth) asks whether a request may pass. The request's Authorization is judged against
// the route policy of the ORIGINAL URI (X-Forwarded-Uri from Traefik, X-Original-URI as nginx is told to send it),
// after the same canonicalisation and loose-spelling checks the proxy path applies (request-target.ts), by the same
// decision the proxy's auth hook makes (route-access.ts). Answers, all without a body on success:
//   200 + the identity headers the gateway would forward (headers.ts), none for an anonymous request;
//   401 + WWW-Authenticate, 403 AUTH_FORBIDDEN (roles, or no route policy covers the URI), 503 when keys/store fail;
//   400 GATEWAY_BAD_REQUEST when the caller is not a trusted peer (peer-trust.ts) or names no usable original URI.
// A URI no route covers, or one the canonicaliser refuses, is 403 rather than the gateway's 404/400: nginx's
// auth_request understands only 2xx, 401 and 403 (anything else becomes a 500 there), and the answer is a refusal.
// The cheapest path authgate has: no body read (it answers in onRequest), no upstream hop, no per-request lookup
// of the policy (one check per route, built here at start-up).
import type { OutgoingHttpHeaders } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { AuthError, type AuthgateDecorator } from '@authgate/fastify'
import { sendAuthError } from '@authgate/fastify/proxy'
import type { GatewayConfig, RouteConfig } from './config.js'
import { sendGatewayError } from './errors.js'
import { setIdentityHeaders, type HeaderPolicy } from './headers.js'
import type { GatewayMetrics } from './metrics.js'
import { BAD_PATH_ROUTE, createRouteFinder } from './paths.js'
import { createPeerTrust } from './peer-trust.js'
import { LONG_TARGET_ROUTE, createTargetRewriter } from './request-target.js'
import { createRouteAccess, type RouteAccessCheck } from './route-access.js'
import { closeIfBodyUnread } from './unread-body.js'

const UNCOVERED = new AuthError('AUTH_FORBIDDEN', { message: 'No route policy covers this URI' })
/** RFC 9110 token: a method name. */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/

export interface ForwardAuthContext {
  authgate: AuthgateDecorator
  policy: HeaderPolicy
  metrics: GatewayMetrics
}

/** The original URI a trusted proxy names: Traefik's X-Forwarded-Uri or nginx's X-Original-URI (one, or both equal). */
function originalUri (request: FastifyRequest): string | undefined | null {
  const forwarded = request.headers['x-forwarded-uri']
  const original = request.headers['x-original-uri']
  if (forwarded === undefined) return typeof original === 'string' ? original : undefined
  if (typeof forwarded !== 'string' || (original !== undefined && original !== forwarded)) return null
  return forwarded
}

export function registerForwardAuth (app: FastifyInstance, config: GatewayConfig, context: ForwardAuthContext): void {
  const path = config.verifyPath
  if (path === false) return
  const { authgate, policy, metrics } = context
  const record = metrics.route('(verify)')
  const isTrustedPeer = createPeerTrust(config.server.trustProxy)
  const canonical = createTargetRewriter(config)
  const findRoute = createRouteFinder(config.routes)
  const checks = new Map<RouteConfig, RouteAccessCheck>(config.routes.map((route) => [route, createRouteAccess(route, authgate, metrics)]))

  const refuse = (request: FastifyRequest, reply: FastifyReply, reason: string): void => {
    request.log.info({ event: 'forward_auth_refused', reason }, 'forward-auth request refused')
    metrics.countResponse(record, 400)
    closeIfBodyUnread(request, reply)
    sendGatewayError(reply, 'GATEWAY_BAD_REQUEST')
  }
  const deny = (request: FastifyRequest, reply: FastifyReply, error: AuthError): void => {
    metrics.countResponse(record, error.statusCode)
    closeIfBodyUnread(request, reply)
    sendAuthError(reply, error)
  }

  const verify: onRequestHookHandler = (request, reply) => {
    if (!isTrustedPeer(request.raw.socket.remoteAddress)) {
      refuse(request, reply, 'untrusted peer')
      return
    }
    const uri = originalUri(request)
    if (uri === undefined || uri === null) {
      refuse(request, reply, uri === null ? 'conflicting original URIs' : 'no original URI')
      return
    }
    const method = request.headers['x-forwarded-method']
    if (method !== undefined && (typeof method !== 'string' || !METHOD.test(method))) {
      refuse(request, reply, 'bad original method')
      return
    }
    // The proxy path's own canonical form. A refused or over-long target has no policy (the proxy path answers it
    // 400/414 itself, whatever route `/` would catch): uncovered, 403.
    const target = canonical(uri)
    const query = target.indexOf('?')
    const route = target === BAD_PATH_ROUTE || target === LONG_TARGET_ROUTE ? undefined : findRoute(query === -1 ? target : target.slice(0, query))
    if (route === undefined) {
      request.log.info({ event: 'forward_auth_uncovered' }, 'forward-auth URI matches no route')
      deny(request, reply, UNCOVERED)
      return
    }
    const decision = (checks.get(route) as RouteAccessCheck)(request.headers, request.raw.rawHeaders, request.log)
    if (decision instanceof AuthError) {
      deny(request, reply, decision)
      return
    }
    // The access line names whom the proxy's request was for.
    request.user = decision
    const headers: OutgoingHttpHeaders = { 'cache-control': 'no-store' }
    if (decision !== null) setIdentityHeaders(headers, decision, route.prefix, policy, authgate.tokens)
    metrics.countResponse(record, 200)
    void reply.code(200).headers(headers).send()
  }

  // Answered in onRequest: the handler never runs and no body is ever parsed.
  app.route({ method: 'GET', url: path, config: { auth: 'none' }, onRequest: verify, handler: (_request, reply) => reply })
}
