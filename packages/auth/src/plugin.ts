// Wiring only: options → store, access tokens, revocation list, sessions, events; decorators, the auth hook,
// the routes. Each concern lives in its own module.
import fastifyCookie from '@fastify/cookie'
import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { settledWithin } from './internal/deadline.js'
import { createAuthenticator, createPolicyHook } from './http/authenticate.js'
import { installRoutePolicyHooks, createRoutePolicyLookup } from './route-policy/index.js'
import { createCookieJar } from './http/cookies.js'
import { createEvents } from './events.js'
import { AUDIT_IDLE, createPluginAudit } from './setup/audit.js'
import { normaliseOptions, type AuthgateOptions } from './options/normalise.js'
import { useConfiguredUserSource } from './setup/users.js'
import { warmDummyHash } from './users/passwords.js'
import { createRevocationList } from './revocation/list.js'
import { changeStreamFeedFor } from './revocation/mongo-watch.js'
import { EXTERNAL_MAX_LIFETIME_S } from './tokens/subject-revocation.js'
import { createRateLimitState } from './limits/rate-limits.js'
import { authRoutes, type RouteContext } from './http/routes/index.js'
import { fastifySerializerCompiler } from './http/routes/compilers.js'
import { documented, jwksAnswer, NO_SECURITY } from './http/routes/docs.js'
import { createSessionService } from './sessions/service.js'
import { createIpWatch, IP_WATCH_IDLE } from './notifications/ip-watch.js'
import { DEFAULT_MAX_NETWORKS } from './stores/ip-memory.js'
import { createUserRecheck } from './sessions/user-recheck.js'
import { createStore, isSessionStore, loadStoreDriver } from './stores/index.js'
import { fastifyJwtOptions } from './http/fastify-jwt.js'
import { createPluginTokens } from './setup/key-ring.js'
import { createTrustedIssuers } from './tokens/trusted-issuers/index.js'
import { createOidcService } from './oidc/index.js'
import { SESSION_STORE, type AuthgateDecorator } from './http/augmentation.js'
import { createSessionsApi } from './http/sessions-api.js'
import { createAuthMetrics } from './metrics/auth-metrics.js'
import { answeredCode } from './http/routes/error-handler.js'
import { setUpRecovery } from './setup/recovery.js'
import { adminStoreFor } from './setup/admin.js'

/** How long start-up waits for the revocation list's first poll (a healthy database answers in milliseconds). */
const FIRST_REVOCATION_POLL_WAIT_MS = 1500
/** How long close waits for new-IP checks in flight (their store writes) before closing the store regardless. */
const IP_WATCH_CLOSE_WAIT_MS = 2000

const authgatePlugin: FastifyPluginAsync<AuthgateOptions> = async function authgatePlugin (app: FastifyInstance, input: AuthgateOptions) {
  const options = normaliseOptions(input)
  for (const warning of options.warnings) app.log.warn({ event: 'deprecated_option' }, `authgate: ${warning}`)
  useConfiguredUserSource(options, app.log)
  if (options.store === undefined) app.log.warn('authgate: no store configured, sessions are kept in memory and lost on restart')
  const store = createStore(options.store, 'store', app.log)
  // The mongodb driver is an optional peer: loaded now, so that a missing package stops the registration, naming it.
  await loadStoreDriver(store)
  const ownsStore = !isSessionStore(options.store)
  // Before anything is started: a store that cannot serve an `admin` asked for stops the registration here.
  const adminStore = adminStoreFor(options, store, app.log)
  if (options.trustedIssuers.length > 0 && store.revokeSubject === undefined) {
    app.log.warn({ event: 'subject_revocation_local' }, 'authgate: the store has no revokeSubject: a trusted issuer\'s user\'s logout-all is enforced on the instance that received it only')
  }
  // Static keys, or the key ring (polled from the store; `tokens` then always delegates to the newest key set).
  const { tokens, ring, jwksMaxAge } = createPluginTokens(options, store, app.log)
  const revocations = createRevocationList({
    source: store,
    pollIntervalMs: options.revocationDelayMs,
    retentionMs: ((options.tokens.maxTtl ?? options.tokens.accessTtl) + options.tokens.clockTolerance) * 1000,
    // Subject revocations (external users' logout-all) outlive every external token they may cover.
    ...(options.trustedIssuers.length === 0 ? {} : { subjectRetentionMs: (EXTERNAL_MAX_LIFETIME_S + options.tokens.clockTolerance) * 1000 }),
    failClosedAfterMs: options.revocationFailClosedAfterMs,
    logger: app.log,
    // Change streams where the store's server has them (detected at start); polling goes on either way.
    feed: options.revocationChangeStreams === false ? undefined : changeStreamFeedFor(store, { logger: app.log })
  })
  // Bearer tokens of trusted identity providers verify beside ours (the authenticator only: signing stays ours).
  const trusted = createTrustedIssuers(options.trustedIssuers, { clockToleranceMs: options.tokens.clockTolerance * 1000, logger: app.log })
  const authenticator = createAuthenticator({ tokens: trusted.wrap(tokens), revocations })
  const events = createEvents(options.events, app.log)
  // Set once the recovery service exists (below); the metric reads it at each scrape.
  let droppedDeliveries = (): number => 0
  // Subscribed to the events before anything can emit one; writes off the request path (audit/writer.ts).
  const audit = createPluginAudit(options, store, events, app.log)
  const metrics = options.metrics === undefined
    ? undefined
    : await createAuthMetrics(options.metrics, {
      events, revocations, prefix: options.prefix, answeredCode,
      keyCount: () => ring?.kids.length ?? options.tokens.keys.length,
      droppedDeliveries: () => droppedDeliveries(),
      ...(audit.writer === undefined ? {} : { auditCounts: () => audit.writer?.counts ?? { dropped: 0, failed: 0 } }),
      ...(ring === undefined ? {} : { keyGeneration: () => ring.generation })
    })
  // Wired at once: a registration failing further down still takes the metrics out of the caller's registry on close.
  if (metrics !== undefined) app.addHook('onClose', () => { metrics.close() })
  const ipMemoryMs = options.newIp.memoryMs
  if (ipMemoryMs !== false && store.recordNetwork === undefined) app.log.warn({ event: 'new_ip_unsupported' }, 'authgate: the store has no recordNetwork: no newIp notifications')
  // ipMemory false: the operator does not want addresses kept for this; none is handed on, none is stored.
  const ipWatch = ipMemoryMs === false ? undefined : createIpWatch({ store, events, logger: app.log, memoryMs: ipMemoryMs, prefix: options.newIp.prefix, maxNetworks: DEFAULT_MAX_NETWORKS })
  const sessions = createSessionService({
    store, tokens, revocations, events, logger: app.log, onSighting: ipWatch?.seen,
    refreshTtlMs: options.refreshTtlMs,
    idleTimeoutMs: options.idleTimeoutMs,
    reuseGraceMs: options.reuseGraceMs,
    reuseDetection: options.reuseDetection,
    usersInStore: options.verifyCredentials === undefined,
    ...(options.refreshUser === undefined ? {} : { recheckUser: createUserRecheck({ refreshUser: options.refreshUser.lookup, intervalMs: options.refreshUser.intervalMs }) })
  })

  if (!app.hasReplyDecorator('setCookie')) await app.register(fastifyCookie)
  if (!app.hasRequestDecorator('user')) app.decorateRequest('user', null)

  // Every route's policy is checked as it is registered (a bad or unknown policy key fails that registration,
  // naming the route) and compiled in onReady from its final options. Added before the plugin's own routes, so
  // they are covered too.
  installRoutePolicyHooks(app, options.defaultAuth)
  const policies = createRoutePolicyLookup(options.defaultAuth)
  // `app.authenticate` as a preHandler requires a token on a route that declares no policy.
  const requireAuth = createPolicyHook(authenticator, policies, 'guard')
  if (options.authenticateDecorator !== false) app.decorate(options.authenticateDecorator, requireAuth)
  const routePolicy = createPolicyHook(authenticator, policies, 'hook')
  const onRequest: onRequestHookHandler = function authgateOnRequest (request, reply, done) {
    // Unrouted requests keep their 404, whatever `defaultAuth` says: there is nothing behind it to protect.
    if (request.is404) {
      done()
      return
    }
    routePolicy.call(this, request, reply, done)
  }
  app.addHook('onRequest', onRequest)

  const cookies = createCookieJar(options.cookie)
  const decorator: AuthgateDecorator = {
    tokens,
    authenticate: (headers, rawHeaders) => authenticator.authenticate(headers, rawHeaders),
    revocations,
    sessions: createSessionsApi({
      store, sessions, cookies, events, logger: app.log, prefix: options.prefix, usersInStore: options.verifyCredentials === undefined,
      requireVerifiedEmail: options.recovery.requireVerifiedEmail
    }),
    requireAuth,
    events,
    storeReady: async () => store.ping().then(() => true, () => false),
    queryAudit: audit.query
  }
  Object.defineProperty(decorator, SESSION_STORE, { value: store })
  Object.defineProperty(decorator, IP_WATCH_IDLE, { value: ipWatch?.idle ?? (async () => {}) })
  Object.defineProperty(decorator, AUDIT_IDLE, { value: audit.writer?.idle ?? (async () => {}) })
  app.decorate('authgate', decorator)

  // @fastify/jwt with the current signing key, for applications that want `request.jwtVerify()`/`app.jwt.sign`;
  // its verification runs authgate's authenticator first (http/fastify-jwt.ts). Skipped when the application
  // registered @fastify/jwt itself, or with the key ring (no static keys).
  if (!app.hasDecorator('jwt') && options.tokens.keys.length > 0) {
    await app.register(fastifyJwt, fastifyJwtOptions(options.tokens, decorator.authenticate))
  }

  // Per process, or shared through Redis (`rateLimit.redis`) so N instances do not allow N times the attempts.
  const limits = options.rateLimit === false ? undefined : await createRateLimitState(options.rateLimit, app.log)
  const recovery = await setUpRecovery({ options, store, sessions, events, logger: app.log, lockout: limits?.lockout })
  if (recovery !== undefined) {
    app.addHook('onClose', recovery.close)
    droppedDeliveries = () => recovery.service.dropped()
  }
  const context: RouteContext = {
    options, store, tokens, sessions, events, recovery,
    cookies,
    lockout: limits?.lockout,
    rateLimitStore: limits?.store,
    oidc: options.oidc === undefined ? undefined : createOidcService(options.oidc, store, app.log),
    adminStore,
    metrics,
    queryAudit: audit.query
  }
  await app.register(async (child) => authRoutes(child, context), { prefix: options.prefix })
  const jwksPath = options.jwksPath
  if (jwksPath !== false) {
    app.get(jwksPath, {
      config: { auth: 'none' },
      // In the application's context: its own serializer compiler (if any) cannot read this JSON schema.
      serializerCompiler: fastifySerializerCompiler(),
      schema: documented({ tags: ['keys'], summary: 'The token verification keys (JWKS)', security: NO_SECURITY, response: { 200: jwksAnswer } })
    }, async (_request, reply) => {
      const jwks = tokens.jwks()
      // An empty set (keys not loaded yet: the database down at boot) must not outlive the outage in JWKS caches.
      return reply.header('cache-control', jwks.keys.length === 0 ? 'no-store' : `public, max-age=${jwksMaxAge}`).send(jwks)
    })
  }

  app.addHook('onReady', async () => {
    // A database down at boot must not stop the process: indexes are created by the first operation that works.
    store.init().catch((error: unknown) => { app.log.warn({ err: error }, 'authgate: session store not reachable at start-up') })
    context.oidc?.store.init().catch((error: unknown) => { app.log.warn({ err: error }, 'authgate: OIDC store indexes not created at start-up (retried later)') })
    revocations.start()
    ring?.start()
    // A restarted instance must not serve sessions revoked before it started: wait for the first poll (start() has
    // begun it; poll() joins it), but only briefly, so a database down at boot still lets the process start. A poll
    // still reading after that makes tokens with a session answer 503 until it ends (sessionsPending).
    await Promise.all([
      settledWithin(revocations.poll(), FIRST_REVOCATION_POLL_WAIT_MS),
      // Likewise the key ring's first read: until then tokens answer 503 (an outage, never a logout).
      ...(ring === undefined ? [] : [settledWithin(ring.refresh(), FIRST_REVOCATION_POLL_WAIT_MS)]),
      // Trusted issuers' first JWKS fetch, as briefly: an unreachable issuer answers 503 for its tokens only.
      settledWithin(trusted.start(), FIRST_REVOCATION_POLL_WAIT_MS),
      warmDummyHash()
    ])
  })
  app.addHook('onClose', async () => {
    if (ipWatch !== undefined) {
      ipWatch.stop()
      // Checks in flight write to the store: let them end before it closes, but a hung store must not hold the close.
      await settledWithin(ipWatch.idle(), IP_WATCH_CLOSE_WAIT_MS)
    }
    // Queued rows go to the store before it closes, within a bound (a hung store gives up after ≤ 2 s).
    await audit.writer?.close()
    revocations.stop()
    ring?.stop()
    trusted.stop()
    context.oidc?.stop()
    if (ownsStore) await store.close()
    await limits?.close()
  })
}

/**
 * The plugin: `app.register(authgate, options)` (also the entry's default export). Decorates `request.user`,
 * `app.authenticate` and `app.authgate`, and serves the auth endpoints under `auth.prefix`.
 */
export const authgate = fp(authgatePlugin, { fastify: '5.x', name: '@authgate/fastify' })
