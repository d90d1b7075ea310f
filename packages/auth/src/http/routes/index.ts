// The auth routes under the prefix, in their own encapsulated context: its error handler and rate limiter apply
// to these routes only, never to the application's.
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AuthError } from '../../errors.js'
import { bearerRoutes } from './bearer.js'
import { fastifySerializerCompiler, fastifyValidatorCompiler } from './compilers.js'
import type { RouteContext } from './context.js'
import { cookieSessionRoutes } from './cookie-session.js'
import { credentialRoutes } from './credentials.js'
import { installErrorHandler } from './error-handler.js'
import { oidcRoutes } from './oidc.js'
import { recoveryRoutes } from './recovery.js'
import { adminRoutes } from './admin.js'

export { createAccountLockout, type AccountLockout } from '../../limits/account-lockout.js'
export type { RouteContext } from './context.js'
export { installErrorHandler } from './error-handler.js'

type JsonParser = (request: FastifyRequest, body: string, done: (error: Error | null, body?: unknown) => void) => void

export async function authRoutes (app: FastifyInstance, context: RouteContext): Promise<void> {
  // Before any route: a route takes the compilers of its context when it is added.
  app.setValidatorCompiler(fastifyValidatorCompiler())
  app.setSerializerCompiler(fastifySerializerCompiler())
  installErrorHandler(app)
  // Counts outcomes of this context's routes only (the application's requests never pay for it).
  if (context.metrics !== undefined) app.addHook('onResponse', context.metrics.onResponse)
  // Unknown paths under the prefix answer the contract's error JSON (with `code`), not Fastify's default 404 body.
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(new AuthError('AUTH_NOT_FOUND').toJSON()))
  // Clients often send `content-type: application/json` with no body to refresh/logout: read that as no body
  // instead of Fastify's 400. Non-empty bodies go through Fastify's own parser (prototype-poisoning safe).
  // Fastify's default parser is the callback form; its declared type also admits a promise form.
  const json = app.getDefaultJsonParser('error', 'error') as unknown as JsonParser
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') {
      done(null, undefined)
      return
    }
    json(request, body.toString(), done)
  })
  if (context.options.rateLimit !== false) {
    // Keyed on request.ip: the socket address unless the app's trustProxy names the proxies in front. IPv6 by /64
    // (stated, not left to the library's default): one subscriber's addresses share one allowance, as they share
    // one cap of pending OIDC sign-ins (oidc/state-bucket.ts).
    await app.register(rateLimit, {
      global: false,
      ipv6Subnet: 64,
      ...(context.rateLimitStore === undefined ? {} : { store: context.rateLimitStore }),
      errorResponseBuilder: (_request, limit) => new AuthError('AUTH_RATE_LIMITED', { retryAfter: Math.ceil(limit.ttl / 1000) })
    })
  }
  credentialRoutes(app, context)
  cookieSessionRoutes(app, context)
  bearerRoutes(app, context)
  if (context.oidc !== undefined) oidcRoutes(app, context, context.oidc)
  if (context.recovery !== undefined) recoveryRoutes(app, context, context.recovery.service, context.recovery.links)
  if (context.adminStore !== undefined) adminRoutes(app, context, context.adminStore)
}
