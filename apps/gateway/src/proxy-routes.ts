// One @fastify/http-proxy registration per configured route, each in its own encapsulated scope that carries the
// route's auth hook and metrics hook. Routing is Fastify's (find-my-way, case-sensitive), on the canonical path
// that rewriteUrl produced: the longest matching prefix wins, on segment boundaries.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import type { Dispatcher } from 'undici'
import type WebSocket from 'ws'
import type { AuthgateDecorator } from '@authgate/fastify'
import type { RouteConfig } from './config.js'
import { createAuthHook } from './auth-hook.js'
import { leanProxyHandler } from './proxy-handler.js'
import { BufferedBody, UpstreamExchange, type ExchangeCallback } from './upstream-exchange.js'
import { createForwarder, type ForwardHooks, type UpstreamRequest, type UpstreamRequestOptions } from './upstream-forward.js'
import { sendGatewayError } from './errors.js'
import { writeAccessLine } from './access-log.js'
import { budgetLeft, RouteGate } from './route-gate.js'
import { downstreamResponseHeaders, upstreamRequestHeaders, upstreamWebSocketHeaders, type HeaderPolicy } from './headers.js'
import { upstreamErrorKind, type GatewayMetrics } from './metrics.js'
import type { UpstreamTracing } from './tracing/index.js'
import { clientCloseReason, createClientWebSocketClass } from './ws-close.js'
import { WebSocketExpiry, type HookContext } from './ws-expiry.js'

type ClientSocketClass = NonNullable<NonNullable<FastifyHttpProxyOptions['wsServerOptions']>['WebSocket']>

/** 1 MiB: a WebSocket message larger than that is refused (ws's default is 100 MiB). */
const WS_MAX_PAYLOAD = 1_048_576

export interface ProxyContext {
  authgate: AuthgateDecorator
  policy: HeaderPolicy
  metrics: GatewayMetrics
  /** The shared upstream connection pool (upstream-pool.ts). */
  dispatcher: Dispatcher
  /** Whether access lines are written (access-log.ts): a WebSocket upgrade's is written here. */
  accessLog: boolean
  /** With tracing on: the upstream hop's client span and its traceparent. */
  tracing?: UpstreamTracing | undefined
}

type ReplyHooks = NonNullable<FastifyHttpProxyOptions['replyOptions']>

type HeaderRewrite = (request: FastifyRequest, headers: IncomingHttpHeaders) => IncomingHttpHeaders

/** With tracing on, the headers also carry the upstream span's traceparent (chosen once, at registration). */
function tracedRewrite (rewrite: HeaderRewrite, tracing: UpstreamTracing | undefined, route: string): HeaderRewrite {
  if (tracing === undefined) return rewrite
  return (request, headers) => {
    const out = rewrite(request, headers)
    tracing.start(request, out, route)
    return out
  }
}

/** Where the prefix goes upstream: the upstream's base path plus the prefix, unless the route rewrites it. */
function upstreamPrefix (route: RouteConfig): string {
  if (route.rewritePrefix !== undefined) return route.rewritePrefix
  const base = new URL(route.upstream).pathname.replace(/\/+$/, '')
  return route.prefix === '/' ? (base === '' ? '/' : base) : base + route.prefix
}

/**
 * Carries the client's raw request (or an aborted AbortSignal when the client was already gone) from
 * rewriteRequestHeaders to the dispatcher, which keeps the request's upstream exchange on it and reads its time
 * budget. The forwarder hands the dispatcher the rewritten headers object, reply-from only a copy of it
 * (Object.assign, which copies enumerable symbol keys): either way this key is the one thing that travels from the
 * Fastify request to `dispatcher.request`, and the wrapper below removes it before undici sees the headers.
 */
const UPSTREAM_CLIENT = Symbol('authgate.upstreamClient')
/** Where the raw request keeps its upstream exchange, for abortUpstreamIfUnfinished. */
const UPSTREAM_EXCHANGE = Symbol('authgate.upstreamExchange')

type ClientRequest = IncomingMessage & { [UPSTREAM_EXCHANGE]?: UpstreamExchange }

/**
 * The client left before its reply was fully written: its upstream exchange is cancelled. Profiled
 * (docs/profiling.md): a per-request AbortController cost ≈ 6 µs (Node 20's AbortSignal.addEventListener with `once`
 * and its removal) plus a WeakMap entry ≈ 0.9 µs (ephemeron GC) per proxied request, and an 'abort' listener on the
 * request (undici's signal) one more add and remove; this allocates nothing and listens to nothing.
 * One shared listener (no closure per request); `this` is the ServerResponse, `req` its documented request.
 */
function abortUpstreamIfUnfinished (this: ServerResponse): void {
  if (!this.writableFinished) (this.req as ClientRequest)[UPSTREAM_EXCHANGE]?.cancel()
}

/**
 * Whether the client went away before its reply was fully written (the response closed unfinished). Not
 * route-gate.ts's clientGone (which also counts a destroyed socket): with that rule an upstream reset during a POST
 * was taken for a departed client and its 502 never sent (test/faults/upstream-faults.test.ts hung).
 */
function clientLeft (response: Pick<ServerResponse, 'destroyed' | 'writableFinished'>): boolean {
  return response.destroyed && !response.writableFinished
}

/**
 * `dispatcher` as the forwarder's and reply-from's `undici` option: each request goes out through undici's `dispatch` with an
 * UpstreamExchange (upstream-exchange.ts) instead of `request()`, and is cancelled when the client leaves: without
 * that a client that disconnects leaves its upstream request running (and holding a pooled connection) until the
 * upstream answers or the route timeout fires. The wait for the upstream's headers gets what is left of the
 * request's budget (route-gate.ts), not a fresh route timeout (undici restarts it after sending a body: see
 * route-gate.ts).
 */
function abortableDispatcher (dispatcher: Dispatcher): UpstreamRequest {
  return (options: UpstreamRequestOptions, callback: ExchangeCallback): void => {
    const exchange = new UpstreamExchange(options.method, callback, options.body)
    const headers = options.headers as Record<string | symbol, unknown> | undefined
    const client = headers?.[UPSTREAM_CLIENT] as ClientRequest | AbortSignal | undefined
    if (headers !== undefined && client !== undefined) {
      Reflect.deleteProperty(headers, UPSTREAM_CLIENT)
      if (client instanceof AbortSignal) {
        // The client was gone before the preHandler: undici does not even connect.
        exchange.cancel()
      } else {
        client[UPSTREAM_EXCHANGE] = exchange
        // The forwarder and reply-from build this object for this one call: set the timeout on it rather than copying it.
        const left = budgetLeft(client)
        if (left !== undefined) options.headersTimeout = left
      }
    }
    try {
      dispatcher.dispatch(options, exchange)
    } catch (error) {
      // As undici's request(): a synchronous refusal (invalid options) is an error called back, not thrown.
      queueMicrotask(() => { callback(error as Error) })
    }
  }
}

/**
 * The upstream socket is created by http-proxy itself, so its class cannot be chosen: once it is open (the only
 * state in which http-proxy calls its close()), its close() is wrapped so that a client socket's error message
 * longer than a close frame cannot throw inside an 'error' listener.
 */
function guardUpstreamClose (target: WebSocket): void {
  const close = target.close.bind(target)
  target.close = (code?: number, reason?: string | Buffer): void => {
    try {
      close(code, clientCloseReason(code, reason))
    } catch {
      target.terminate()
    }
  }
}

/** An upstream that did not answer (its head, or its body) within the route's time (metrics.ts upstreamErrorKind). */
function isTimeout (error: unknown): boolean {
  return upstreamErrorKind(error) === 'timeout'
}

export async function registerProxyRoute (app: FastifyInstance, route: RouteConfig, context: ProxyContext): Promise<void> {
  const { authgate, policy, metrics, dispatcher, accessLog, tracing } = context
  const sendUpstream = abortableDispatcher(dispatcher)
  const record = metrics.route(route.prefix)
  // Chosen here, not per request: with tracing off the hot path has no tracing check at all.
  // `response.stream` is a BufferedBody for a small answer of known length, else a Readable (upstream-exchange.ts).
  // The latency is arrival to the upstream's headers for both: a held answer's holding time is taken off.
  const onUpstreamResponse: ForwardHooks['onResponse'] = (_request, reply, response) => {
    const body = response.stream
    if (body instanceof BufferedBody) {
      record.upstreamLatency.observe((reply.elapsedTime - (performance.now() - body.headersAt)) / 1000)
      void reply.send(body.bytes)
      return
    }
    record.upstreamLatency.observe(reply.elapsedTime / 1000)
    void reply.send(response.stream)
  }
  const locationMapping = { upstream: new URL(route.upstream), upstreamPrefix: upstreamPrefix(route), routePrefix: route.prefix }
  await app.register(async (scope) => {
    // Closes each socket at its token's expiry, and within revocationDelay of its session's revocation.
    const expiry = route.websocket ? new WebSocketExpiry(route.auth, authgate.revocations) : undefined
    // The response's 'close' before 'finish' is the client going away (the request's own 'close' also fires after a
    // normal end of its body, so it cannot tell): the gate then frees the slot and the upstream request is aborted.
    const gate = new RouteGate(route.maxConcurrent, route.timeoutMs, abortUpstreamIfUnfinished)
    if (expiry !== undefined) scope.addHook('onClose', (_instance, done) => { expiry.stop(); done() })
    record.load = gate
    // preClose: before the server waits for the requests in progress, so that the waiting ones do not hold it up.
    scope.addHook('preClose', (done) => { gate.close(); done() })
    scope.addHook('onRequest', createAuthHook(route, authgate, metrics, expiry))
    // Only requests that passed the auth hook get here. A WebSocket upgrade is gated too: it holds an upstream
    // connection for as long as it lasts, so its slot is given back only when the client's connection closes (the
    // upgrade's response stays attached to that socket; http-proxy closes the upstream socket with it).
    scope.addHook('preHandler', (request, reply, done) => { gate.enter(request, reply, done) })
    scope.addHook('onResponse', (_request, reply, done) => {
      metrics.countResponse(record, reply.statusCode)
      done()
    })
    const wsHeaders = {
      rewriteRequestHeaders: (_headers: unknown, request: FastifyRequest) => {
        // An upgrade never completes in Fastify's sense: its access line is written as it goes upstream.
        if (accessLog) writeAccessLine(request, 101, undefined, { websocket: true })
        return upstreamWebSocketHeaders(request, route, policy, authgate.tokens)
      }
    }
    // The route's upstream hooks: reply-from's options for the requests http-proxy's own handler takes (upgrades, a
    // parametric prefix), and the forwarder's for every other (upstream-forward.ts).
    const hooks: ForwardHooks = {
      timeout: route.timeoutMs,
      rewriteRequestHeaders: tracedRewrite((request, headers) => {
        const out = upstreamRequestHeaders(request, headers, route, policy, authgate.tokens) as Record<string | symbol, unknown>
        // A client already gone before the preHandler listened: an aborted signal, so undici does not even connect.
        const raw = request.raw
        out[UPSTREAM_CLIENT] = raw.socket.destroyed ? AbortSignal.abort() : raw
        return out as IncomingHttpHeaders
      }, tracing, route.prefix),
      rewriteHeaders: (headers) => downstreamResponseHeaders(headers, policy, locationMapping),
      onResponse: tracing === undefined ? onUpstreamResponse : (request, reply, response) => {
        tracing.end(request, response.statusCode)
        onUpstreamResponse(request, reply, response)
      },
      onError: (reply, { error }) => {
        tracing?.end(reply.request, undefined)
        if (clientLeft(reply.raw)) {
          // The client left: nobody reads this answer, and it is not an upstream failure (499 as nginx counts it).
          reply.log.info({ route: route.prefix }, 'client closed the connection; upstream request aborted')
          void reply.code(499).send()
          return
        }
        reply.log.warn({ err: error, route: route.prefix }, isTimeout(error) ? 'upstream timed out' : 'upstream failed')
        metrics.countUpstreamError(record, upstreamErrorKind(error))
        sendGatewayError(reply, isTimeout(error) ? 'GATEWAY_TIMEOUT' : 'GATEWAY_BAD_GATEWAY')
      }
    }
    const rewritePrefix = upstreamPrefix(route)
    const forward = createForwarder(locationMapping.upstream.origin, locationMapping.upstream.host, sendUpstream, hooks)
    // The routes http-proxy is about to add get a handler without its per-request URL re-validation (proxy-handler.ts).
    scope.addHook('onRoute', leanProxyHandler(rewritePrefix === '' ? locationMapping.upstream.pathname : rewritePrefix, forward))
    const options: FastifyHttpProxyOptions & { websocket: boolean } = {
      upstream: route.upstream,
      prefix: route.prefix === '/' ? undefined : route.prefix,
      rewritePrefix,
      // reply-from calls `request` with the options of undici's request(); the dispatcher takes them as they are.
      undici: { request: sendUpstream as unknown as Dispatcher['request'] },
      disableRequestLogging: true,
      // Location is rewritten in downstreamResponseHeaders instead (also absolute URLs on the upstream origin).
      internalRewriteLocationHeader: false,
      websocket: route.websocket,
      // Client sockets that never send an internal error message as a close reason, nor throw on a long one.
      // (http-proxy is typed against another copy of @types/ws: same runtime class, different declarations.)
      wsServerOptions: { maxPayload: WS_MAX_PAYLOAD, WebSocket: createClientWebSocketClass(app.log) as unknown as ClientSocketClass },
      ...(expiry === undefined ? {} : { wsHooks: { onConnect: (context: HookContext, source: WebSocket, target: WebSocket) => { guardUpstreamClose(target); expiry.onConnect(context, source, target) } } }),
      // http-proxy's types omit its `rewriteRequestHeaders` hook for the upstream handshake (its default copies
      // only the cookie): ours sends the verified identity, the filtered cookies and the forwarding headers.
      wsClientOptions: { handshakeTimeout: route.timeoutMs, ...wsHeaders },
      // reply-from retries an upstream 503 up to 10 times by default: the upstream's answers pass through as they are.
      replyOptions: { ...hooks, retryDelay: () => null } as unknown as ReplyHooks
    }
    // The websocket option is a discriminated union in the types; the runtime takes a boolean.
    await scope.register(httpProxy, options as FastifyHttpProxyOptions & { websocket?: false })
  })
}
