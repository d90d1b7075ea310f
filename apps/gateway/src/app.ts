// buildApp(config): the gateway as a Fastify instance, not listening (server.ts listens). Reads nothing but its
// arguments (never process.env). Order matters: rewriteUrl canonicalises the request target before routing, the
// auth plugin serves /auth/* and the JWKS, then one proxy registration per route, then health and fallbacks.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import authgate, { AuthError, type SessionStore } from '@authgate/fastify'
import { createStore } from '@authgate/fastify/stores'
import { sendAuthError } from '@authgate/fastify/proxy'
import { AUTH_PREFIX, type GatewayConfig } from './config.js'
import { gatewayErrorBody, sendGatewayError, type GatewayErrorCode } from './errors.js'
import { deferContinue } from './expect-continue.js'
import { registerForwardAuth } from './forward-auth.js'
import { createHeaderPolicy } from './headers.js'
import { OPS_PATHS, registerHealthRoutes } from './health.js'
import { GatewayMetrics } from './metrics.js'
import { createMetricsRegistry } from './metrics-registry.js'
import { createOpsListener } from './ops-listener.js'
import { gatewayVersion } from './cli/version.js'
import type { Registry } from 'prom-client'
import { registerProxyRoute } from './proxy-routes.js'
import { registerCors } from './cors.js'
import { HEADER_ROOM, createTargetRewriter, registerRefusedTargetRoutes } from './request-target.js'
import { guardSlowClients } from './slow-clients.js'
import { registerDemoFiles, type DemoFiles } from './static-demo.js'
import { closeIfBodyUnread } from './unread-body.js'
import { createUpstreamAgent } from './upstream-pool.js'
import { trustsProxy } from './trust-proxy.js'
import { checkStartable } from './startup-checks.js'
import { pluginOptions } from './plugin-options.js'
import { startTracing, type GatewayTracing } from './tracing/index.js'
import { loggerOptions } from './logging.js'
import { deferredChildLogger } from './request-logger.js'
import { accessLogController, accessLogOn, registerAbortedLine } from './access-log.js'
import { createRequestIdGenerator, REQUEST_ID_HEADER } from './request-id.js'
import { createPeerTrust } from './peer-trust.js'
import { holdTickShape } from './tick-shape.js'

// When this module is evaluated (after its imports, before any config, keys or plugin registration: where the decay
// was measured), for every process that builds a gateway: the CLI, cluster workers, embedders of the library.
holdTickShape()

export interface BuildOptions {
  /** Fastify logger option; default pino at config.log.level with redaction. `false` silences it (tests). */
  logger?: FastifyServerOptions['logger']
  /** Where the default logger writes (default stdout); ignored when `logger` is given. */
  logStream?: { write: (line: string) => void }
  /** A store instance instead of config.store (tests, the CLI's user creation). */
  store?: SessionStore
  /** Serve the demo page (embedded mode). */
  demo?: DemoFiles
  /**
   * The metrics registry and how /metrics renders it (server.ts, in a cluster worker: the cluster's aggregate).
   * Default: a registry of this app's own, rendered as it is.
   */
  metrics?: { registry: Registry, render: () => Promise<string> }
  /** Runs on the bare instance before any route is registered (`authgate openapi` registers @fastify/swagger there). */
  prepare?: (app: FastifyInstance) => Promise<void>
}

/** Store and signing-key outages are temporary: clients are told so (503 and Retry-After), not "internal error". */
const RETRYABLE_AUTH_CODES: ReadonlySet<string> = new Set(['AUTH_KEYS_UNAVAILABLE', 'AUTH_STORE_UNAVAILABLE'])
const DEFAULT_RETRY_AFTER_SECONDS = '5'


/** A hop count becomes the function form Fastify's types accept (proxy-addr takes both). */
function fastifyTrustProxy (value: GatewayConfig['server']['trustProxy']): boolean | string | string[] | ((address: string, hop: number) => boolean) {
  // 0 hops or no addresses trusts nobody: plain `false`, so request.ips stays unset and headers.ts treats it as off too.
  if (!trustsProxy(value)) return false
  if (typeof value === 'number') return (_address, hop) => hop < value
  return typeof value === 'object' ? [...value] : value
}

/** How often Node looks for connections past their headers or request timeout: a quarter of it, 250 ms to 5 s. */
function checkingInterval (timeoutMs: number): number {
  return Math.min(5000, Math.max(250, Math.floor(timeoutMs / 4)))
}

function errorCodeFor (statusCode: number): GatewayErrorCode {
  if (statusCode === 413) return 'GATEWAY_PAYLOAD_TOO_LARGE'
  if (statusCode === 404) return 'GATEWAY_NOT_FOUND'
  return 'GATEWAY_BAD_REQUEST'
}

/**
 * The store the plugin is given when tracing: `given`, or the one the file names (built here, so that its calls can
 * be traced, and closed here after the plugin has stopped using it), with a span per call.
 */
function tracedStore (app: FastifyInstance, config: GatewayConfig, given: SessionStore | undefined, tracing: GatewayTracing): SessionStore {
  if (given !== undefined) return tracing.traceStore(given)
  if (config.store === undefined) app.log.warn('authgate: no store configured, sessions are kept in memory and lost on restart')
  const store = createStore(config.store, 'store', app.log)
  // Added before the plugin registers: onClose hooks run last-added first, so this one runs after the plugin's.
  app.addHook('onClose', async () => { await store.close() })
  return tracing.traceStore(store)
}

export async function buildApp (config: GatewayConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  // The checks `config check` reports, refused here too, with the same words, before anything is built.
  checkStartable(config)
  const rewriteTarget = createTargetRewriter(config)
  const listenerLimits = {
    http: {
      headersTimeout: config.server.headersTimeoutMs,
      connectionsCheckingInterval: checkingInterval(Math.min(config.server.headersTimeoutMs, config.server.requestTimeoutMs)),
      maxHeaderSize: config.server.maxUrlLength + HEADER_ROOM
    },
    requestTimeout: config.server.requestTimeoutMs
  }
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config, options.logStream),
    // Each request's pino child only once it writes a line (request-logger.ts), where most requests write none: with
    // access lines every request writes one, and Fastify's own factory is the cheaper (none at all without a logger).
    ...(options.logger === false || accessLogOn(config) ? {} : { childLoggerFactory: deferredChildLogger }),
    // One access line per request (access-log.ts) replaces Fastify's two, or none with log.access: false.
    logController: accessLogController(config),
    genReqId: createRequestIdGenerator(createPeerTrust(config.server.trustProxy, { loopback: false })),
    trustProxy: fastifyTrustProxy(config.server.trustProxy),
    bodyLimit: config.server.bodyLimit,
    // Slowloris: a request head trickled byte by byte is cut off after headersTimeout (408, connection closed).
    // Node only checks every connectionsCheckingInterval (default 30 s), so check often enough for the bound to hold.
    // maxHeaderSize bounds the whole request head (target and headers; 431 beyond it): room for the longest
    // accepted target (longer ones get 414 in rewriteUrl) plus the headers.
    // A whole request, body included, within requestTimeout of its arrival; a connection on which no byte moves for
    // idleTimeout is looked at by slow-clients.ts (dropped unless it waits for the upstream).
    ...listenerLimits,
    connectionTimeout: config.server.idleTimeoutMs,
    // Routing happens on the canonical target; a refused one goes to the 400 route (paths.ts). Routing stays
    // case-sensitive: loose spellings of a configured prefix are refused before it (createPrefixSpellingCheck).
    rewriteUrl: (request) => rewriteTarget(request.url ?? ''),
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
    // 5xx from the gateway itself are logged; clients get generic bodies (setErrorHandler below).
    return503OnClosing: true
  })

  // First: the request span must open before any other hook runs. onClose hooks run last-added first, so the spans
  // are exported after everything else has closed.
  const tracing = config.tracing === undefined ? undefined : await startTracing(app, config.tracing)
  if (tracing !== undefined) app.addHook('onClose', async () => { await tracing.close() })
  if (options.prepare !== undefined) await options.prepare(app)
  const slowClients = guardSlowClients(app.server, config.server, app.log)
  deferContinue(app, AUTH_PREFIX)
  // Keep-alive pools sized to the routes' slots: routes sharing an upstream share its idle connections.
  const dispatcher = createUpstreamAgent(config.routes)
  app.addHook('onClose', async () => { slowClients.close(); await dispatcher.close() })
  // Graceful close: Node closes idle keep-alive sockets once, when close starts; a socket whose in-flight request
  // finishes afterwards would stay open until its keep-alive timeout and hold the shutdown. Sweep them while closing.
  app.addHook('preClose', (done) => {
    const sweep = setInterval(() => { app.server.closeIdleConnections() }, 200)
    sweep.unref()
    app.server.once('close', () => { clearInterval(sweep) })
    done()
  })

  // Sent back on every answer, so a user's report names the request an operator looks for.
  app.addHook('onRequest', (request, reply, done) => { reply.header(REQUEST_ID_HEADER, request.id); done() })
  registerAbortedLine(app, config)
  for (const warning of config.deprecations) app.log.warn({ event: 'deprecated_option' }, `authgate: ${warning}`)
  const registry = options.metrics?.registry ?? createMetricsRegistry(gatewayVersion())
  const metricsText = options.metrics?.render ?? (async () => registry.metrics())
  // Before the plugin and the routes: preflights are answered ahead of their hooks (rate limits, authentication).
  registerCors(app, config.cors, config.verifyPath)
  // The plugin's auth outcomes land in the same registry, so one scrape shows both.
  const store = tracing === undefined ? options.store : tracedStore(app, config, options.store, tracing)
  await app.register(authgate, { ...pluginOptions(config, store), metrics: registry })

  // Set before the proxy routes are registered: each route's encapsulated scope copies the error handler in place
  // at its registration, so one set afterwards would leave them on Fastify's default (which echoes error.message).
  app.setErrorHandler(async (error, request, reply) => {
    const statusCode = typeof (error as { statusCode?: unknown }).statusCode === 'number' ? (error as { statusCode: number }).statusCode : 500
    if (statusCode >= 400 && statusCode < 500) {
      // Client mistakes (bad JSON, too large, bad content type): the status is kept, the message made generic.
      return reply.code(statusCode).send({ ...gatewayErrorBody(errorCodeFor(statusCode)), statusCode })
    }
    if (error instanceof AuthError && RETRYABLE_AUTH_CODES.has(error.code)) {
      // e.g. signAssertion without a usable key while proxying, or the store failing under a plugin route.
      request.log.warn({ err: error }, 'authentication backend unavailable')
      if (error.retryAfter === undefined) reply.header('retry-after', DEFAULT_RETRY_AFTER_SECONDS)
      return sendAuthError(reply, error)
    }
    request.log.error({ err: error }, 'gateway error')
    return sendGatewayError(reply, 'GATEWAY_INTERNAL')
  })

  const metrics = new GatewayMetrics()
  metrics.register(registry)
  const policy = createHeaderPolicy(config)
  const context = { authgate: app.authgate, policy, metrics, dispatcher, accessLog: accessLogOn(config), tracing: tracing?.upstream }
  for (const route of config.routes) await registerProxyRoute(app, route, context)
  registerForwardAuth(app, config, context)

  const endpoints = { storeReady: app.authgate.storeReady, metricsText }
  // With server.ops they are served there only: the public listener answers them 404.
  const unrouted = metrics.route('(none)')
  if (config.server.ops === undefined) registerHealthRoutes(app, endpoints)
  else {
    createOpsListener(app, endpoints, app.log, listenerLimits)
    // Still the gateway's paths: a `/` route must not hand them to its upstream instead.
    for (const path of OPS_PATHS) {
      app.all(path, { config: { auth: 'none' } }, async (_request, reply) => {
        metrics.countResponse(unrouted, 404)
        return sendGatewayError(reply, 'GATEWAY_NOT_FOUND')
      })
    }
  }
  if (options.demo !== undefined) registerDemoFiles(app, options.demo)

  registerRefusedTargetRoutes(app, metrics)
  app.setNotFoundHandler(async (request, reply) => {
    metrics.countResponse(unrouted, 404)
    closeIfBodyUnread(request, reply)
    return sendGatewayError(reply, 'GATEWAY_NOT_FOUND')
  })
  return app
}
