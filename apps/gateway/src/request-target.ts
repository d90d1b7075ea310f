// The first thing the gateway does with a request: choose the target Fastify routes on (its rewriteUrl). A target
// longer than `server.maxUrlLength` goes to the 414 route before any other work (issue #11 item 2); a target that
// is not canonical, or that a lenient upstream would read as another configured prefix, goes to the 400 route
// (paths.ts). Both refusals are answered by small routes registered here, in the gateway's JSON error shape.
import type { FastifyInstance } from 'fastify'
import type { GatewayConfig } from './config.js'
import { sendGatewayError } from './errors.js'
import { closeIfBodyUnread } from './unread-body.js'
import { redactQuery } from './redact-query.js'
import type { GatewayMetrics } from './metrics.js'
import { BAD_PATH_ROUTE, createPrefixSpellingCheck, normaliseTarget } from './paths.js'

/** Where a target over `server.maxUrlLength` is routed: a route that answers 414. */
export const LONG_TARGET_ROUTE = '/_authgate/uri-too-long'

/**
 * Room for the request headers on top of the longest target: Node's `maxHeaderSize` (which bounds the whole
 * request head, answered 431 beyond it) is set to `server.maxUrlLength` plus this.
 */
export const HEADER_ROOM = 16_384

/** The canonical target, or the route of its refusal. */
export function createTargetRewriter (config: GatewayConfig): (raw: string) => string {
  const maxLength = config.server.maxUrlLength
  const loosePrefix = createPrefixSpellingCheck(config.routes)
  return (raw) => {
    if (raw.length > maxLength) return LONG_TARGET_ROUTE
    const target = normaliseTarget(raw)
    return target === null || loosePrefix(target) ? BAD_PATH_ROUTE : target
  }
}

export function registerRefusedTargetRoutes (app: FastifyInstance, metrics: GatewayMetrics): void {
  const refused = metrics.route('(refused)')
  app.all(BAD_PATH_ROUTE, async (request, reply) => {
    request.log.info({ target: redactQuery(request.originalUrl) }, 'request target refused')
    metrics.countResponse(refused, 400)
    closeIfBodyUnread(request, reply)
    return sendGatewayError(reply, 'GATEWAY_BAD_REQUEST')
  })
  app.all(LONG_TARGET_ROUTE, async (request, reply) => {
    // Only the length is logged: the target itself is what an attacker made long.
    request.log.info({ targetLength: request.originalUrl.length }, 'request target too long')
    metrics.countResponse(refused, 414)
    closeIfBodyUnread(request, reply)
    return sendGatewayError(reply, 'GATEWAY_URI_TOO_LONG')
  })
}
