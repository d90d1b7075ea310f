// One @fastify/http-proxy registration per configured route, each in its own encapsulated scope that carries the
// route's auth hook and metrics hook. Routing is Fastify's (find-my-way, case-sensitive), on the canonical path
// that rewriteUrl produced: the longest matching prefix wins, on segment boundaries.
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import type { Dispatcher } from 'undici'
import type { AuthgateDecorator } from '@authgate/fastify'
import type { RouteConfig } from './config.js'
import { createAuthHook } from './auth-hook.js'
import { sendGatewayError } from './errors.js'
import { downstreamResponseHeaders, upstreamRequestHeaders, upstreamWebSocketHeaders, type HeaderPolicy } from './headers.js'
import type { GatewayMetrics } from './metrics.js'
import { WebSocketExpiry } from './ws-expiry.js'

/** 1 MiB: a WebSocket message larger than that is refused (ws's default is 100 MiB). */
const WS_MAX_PAYLOAD = 1_048_576

export interface ProxyContext {
  authgate: AuthgateDecorator
  policy: HeaderPolicy
  metrics: GatewayMetrics
  /** The shared upstream connection pool (see app.ts for its settings). */
  dispatcher: Dispatcher
}

/** Where the prefix goes upstream: the upstream's base path plus the prefix, unless the route rewrites it. */
function upstreamPrefix (route: RouteConfig): string {
  if (route.rewritePrefix !== undefined) return route.rewritePrefix
  const base = new URL(route.upstream).pathname.replace(/\/+$/, '')
  return route.prefix === '/' ? (base === '' ? '/' : base) : base + route.prefix
}

function isTimeout (error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: unknown }).statusCode === 504
}

export async function registerProxyRoute (app: FastifyInstance, route: RouteConfig, context: ProxyContext): Promise<void> {
  const { authgate, policy, metrics, dispatcher } = context
  const record = metrics.route(route.prefix)
  const upstreamOrigin = new URL(route.upstream).origin
  await app.register(async (scope) => {
    const expiry = route.websocket ? new WebSocketExpiry() : undefined
    scope.addHook('onRequest', createAuthHook(route, authgate, metrics, expiry))
    scope.addHook('onResponse', (_request, reply, done) => {
      metrics.countResponse(record, reply.statusCode)
      done()
    })
    const wsHeaders = {
      rewriteRequestHeaders: (_headers: unknown, request: FastifyRequest) => upstreamWebSocketHeaders(request, route, policy, authgate.tokens)
    }
    const options: FastifyHttpProxyOptions & { websocket: boolean } = {
      upstream: route.upstream,
      prefix: route.prefix === '/' ? undefined : route.prefix,
      rewritePrefix: upstreamPrefix(route),
      undici: dispatcher,
      disableRequestLogging: true,
      // An absolute Location on the upstream origin is made relative in downstreamResponseHeaders instead.
      internalRewriteLocationHeader: false,
      websocket: route.websocket,
      wsServerOptions: { maxPayload: WS_MAX_PAYLOAD },
      ...(expiry === undefined ? {} : { wsHooks: { onConnect: expiry.onConnect } }),
      // http-proxy's types omit its `rewriteRequestHeaders` hook for the upstream handshake (its default copies
      // only the cookie): ours sends the verified identity, the filtered cookies and the forwarding headers.
      wsClientOptions: { handshakeTimeout: route.timeoutMs, ...wsHeaders },
      replyOptions: {
        timeout: route.timeoutMs,
        // reply-from retries an upstream 503 up to 10 times by default: the upstream's answers pass through as they are.
        retryDelay: () => null,
        rewriteRequestHeaders: (request, headers) => upstreamRequestHeaders(request as FastifyRequest, headers, route, policy, authgate.tokens) as IncomingHttpHeaders,
        rewriteHeaders: (headers) => downstreamResponseHeaders(headers, policy, upstreamOrigin),
        onResponse: (_request, reply, response) => {
          record.upstreamLatency.observe(reply.elapsedTime / 1000)
          void reply.send(response.stream)
        },
        onError: (reply, { error }) => {
          reply.log.warn({ err: error, route: route.prefix }, isTimeout(error) ? 'upstream timed out' : 'upstream failed')
          sendGatewayError(reply as FastifyReply, isTimeout(error) ? 'GATEWAY_TIMEOUT' : 'GATEWAY_BAD_GATEWAY')
        }
      }
    }
    // The websocket option is a discriminated union in the types; the runtime takes a boolean.
    await scope.register(httpProxy, options as FastifyHttpProxyOptions & { websocket?: false })
  })
}
