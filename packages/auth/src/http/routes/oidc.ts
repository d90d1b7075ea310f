// GET /oidc/:provider/login and GET /oidc/:provider/callback (under the auth prefix), and GET /oidc/providers for
// pages that show a "Sign in with …" button. A finished sign-in is a normal authgate session, made by the same
// SessionService.issue as POST /login (access token, rotating refresh cookie, device cookie, `login`/`newDevice`
// events); the browser is sent on to `returnTo` with the refresh cookie only: the app then calls POST /auth/refresh
// for its access token. No token ever travels in a URL.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AuthError } from '../../errors.js'
import { createThrottledWarning, type ThrottledWarning } from '../../internal/log-throttle.js'
import type { RouteContext } from './context.js'
import { INTERNAL_ERROR, documented, NO_SECURITY, RATE_LIMITED, errorResponses, noBody, providerList } from './docs.js'
import { clientInfo } from '../../sessions/client-info.js'
import { bindingHash, createBindingCookie, sameHash } from '../oidc-binding-cookie.js'
import { userForIdentity } from '../../oidc/link-user.js'
import type { OidcService } from '../../oidc/service.js'
import { safeReturnTo } from '../../oidc/return-to.js'
import { OidcRejection, REJECTION_CLASSES } from '../../oidc/rejection.js'
import { isStateValue } from '../../oidc/state-value.js'
import { stateBucket, stateNetwork } from '../../oidc/state-bucket.js'

interface ProviderParams { provider: string }

/**
 * The OIDC routes never validated their query or params (the callback reads the raw URL: a repeated `state` is
 * AUTH_OIDC_STATE_INVALID, an odd `returnTo` falls back to the default): their schemas document, Ajv never runs.
 */
const documentedOnly = (): (() => true) => () => true

const providerParams = {
  type: 'object',
  required: ['provider'],
  properties: { provider: { type: 'string', description: 'A configured provider\'s name (GET …/oidc/providers); others are 404' } }
} as const

const redirectHeaders = { location: { type: 'string', description: 'Where the browser goes next' } } as const

const REFUSALS = {
  full: 'login states full',
  'client-full': 'too many pending sign-ins from this client',
  'network-full': 'too many pending sign-ins from this client\'s network'
} as const

/** Why a callback's state is refused (AUTH_OIDC_STATE_INVALID): fixed, each its own throttled kind. */
const STATE_REFUSALS = {
  malformed: 'state missing or malformed',
  unknown: 'state unknown, expired or used already',
  browser: 'state started in another browser',
  provider: 'state of another provider'
} as const

/**
 * Every kind of throttled warning these routes can log: each login refusal, each state refusal, and each provider's
 * rejection classes. The throttle holds exactly that many, so no kind ever shares the overflow slot with another.
 */
function warningKinds (providers: number): number {
  return Object.keys(REFUSALS).length + Object.keys(STATE_REFUSALS).length + REJECTION_CLASSES.length * providers
}

function stateId (state: string): string {
  return createHash('sha256').update('authgate-oidc-state\u0000').update(state).digest('hex')
}

export function oidcRoutes (app: FastifyInstance, context: RouteContext, oidc: OidcService): void {
  const { options, sessions, cookies } = context
  const binding = createBindingCookie(options.cookie, options.prefix)
  // Every refusal below is the client's to cause, as often as it likes: a line per kind per minute, with a count.
  const warnings = createThrottledWarning({ maxKinds: warningKinds(oidc.names.length) })
  const limits = options.rateLimit
  // The sign-in routes share the login limit: each /login stores a state, each callback costs a code exchange. Keyed
  // as the per-client cap of states (http/routes/index.ts: IPv6 by /64).
  const config = limits === false ? {} : { rateLimit: { max: limits.login.max, timeWindow: limits.login.timeWindowMs } }
  const returnOrigins = new Set(options.allowedOrigins)
  if (typeof options.publicOrigin === 'string') returnOrigins.add(options.publicOrigin)

  function provider (request: FastifyRequest<{ Params: ProviderParams }>) {
    const found = oidc.provider(request.params.provider)
    if (found === undefined) throw new AuthError('AUTH_NOT_FOUND')
    return found
  }

  function callbackUrl (request: FastifyRequest, name: string): string {
    // The provider only redirects to registered URIs: a forged Host can only make the sign-in fail there.
    const origin = typeof options.publicOrigin === 'string' ? options.publicOrigin : `${request.protocol}://${request.host}`
    return `${origin}${options.prefix}/oidc/${name}/callback`
  }

  app.get('/oidc/providers', {
    config: { auth: 'none' },
    schema: documented({
      tags: ['oidc'],
      summary: 'The OpenID Connect providers',
      security: NO_SECURITY,
      response: { 200: providerList, ...errorResponses(INTERNAL_ERROR) }
    })
  }, async (_request, reply) => {
    return reply.header('cache-control', 'no-store')
      .send({ providers: oidc.names.map((name) => ({ name, login: `${options.prefix}/oidc/${name}/login` })) })
  })

  app.get<{ Params: ProviderParams, Querystring: { returnTo?: unknown } }>('/oidc/:provider/login', {
    config: { auth: 'none', ...config },
    validatorCompiler: documentedOnly,
    schema: documented({
      tags: ['oidc'],
      summary: 'Start a sign-in with a provider',
      description: 'Redirects the browser to the provider (authorization code flow with PKCE) and sets a short-lived ' +
        'cookie binding the sign-in to this browser.',
      security: NO_SECURITY,
      params: providerParams,
      querystring: {
        type: 'object',
        properties: {
          returnTo: { type: 'string', description: 'Where to send the browser once signed in: a path, or a URL of an allowed origin; others fall back to /' }
        }
      },
      response: {
        302: noBody('To the provider\'s authorization endpoint', redirectHeaders),
        ...errorResponses({ 404: ['AUTH_NOT_FOUND'], ...RATE_LIMITED, ...INTERNAL_ERROR, 503: ['AUTH_OIDC_UNAVAILABLE', 'AUTH_STORE_UNAVAILABLE'] })
      }
    })
  }, async (request, reply) => {
    const client = provider(request)
    const redirectUri = callbackUrl(request, client.config.name)
    const started = await client.authorizationRequest(redirectUri)
    const value = binding.issue(request, reply, oidc.stateTtlMs)
    const now = new Date()
    const saved = await oidc.store.saveLoginState({
      id: stateId(started.state),
      provider: client.config.name,
      bindingHash: bindingHash(value),
      nonce: started.nonce,
      codeVerifier: started.codeVerifier,
      redirectUri,
      returnTo: safeReturnTo(request.query.returnTo, returnOrigins),
      client: stateBucket(request.ip),
      network: stateNetwork(request.ip),
      expiresAt: new Date(now.getTime() + oidc.stateTtlMs)
    }, now)
    if (saved !== 'saved') {
      // Live sign-ins are never evicted for new ones: new ones wait until some finish or expire.
      warnings.warn(request.log, `login:${saved}`, { event: 'oidc_login_refused', reason: REFUSALS[saved], ip: request.ip }, 'authgate: OIDC sign-in not started')
      throw new AuthError('AUTH_RATE_LIMITED', { retryAfter: saved === 'full' ? 60 : Math.ceil(oidc.stateTtlMs / 1000) })
    }
    return reply.header('cache-control', 'no-store').redirect(started.url, 302)
  })

  app.get<{ Params: ProviderParams }>('/oidc/:provider/callback', {
    config: { auth: 'none', ...config },
    validatorCompiler: documentedOnly,
    schema: documented({
      tags: ['oidc'],
      summary: 'The provider\'s redirect back (the registered redirect URI)',
      description: 'Finishes the sign-in started in this browser: sets the refresh cookie and redirects to `returnTo`; ' +
        'the page then calls POST /refresh for its access token. No token travels in a URL.',
      security: NO_SECURITY,
      params: providerParams,
      querystring: {
        type: 'object',
        properties: {
          state: { type: 'string', description: 'Exactly once' },
          code: { type: 'string' },
          iss: { type: 'string' },
          error: { type: 'string', description: 'The provider\'s refusal (then 401)' },
          error_description: { type: 'string' }
        }
      },
      response: {
        303: noBody('Signed in: to `returnTo`, with the refresh cookie set', redirectHeaders),
        ...errorResponses({
          400: ['AUTH_OIDC_STATE_INVALID'], 401: ['AUTH_OIDC_REJECTED', 'AUTH_INVALID_CREDENTIALS'], 403: ['AUTH_USER_DISABLED'], 404: ['AUTH_NOT_FOUND'], ...RATE_LIMITED, ...INTERNAL_ERROR,
          503: ['AUTH_OIDC_UNAVAILABLE', 'AUTH_STORE_UNAVAILABLE', 'AUTH_KEYS_UNAVAILABLE']
        })
      }
    })
  }, async (request, reply) => {
    const client = provider(request)
    const parameters = new URL(request.url, 'http://callback.invalid').searchParams
    const state = parameters.get('state')
    if (state === null || !isStateValue(state) || parameters.getAll('state').length !== 1) throw refuseState(warnings, request, reply, 'malformed')
    // Taken before anything else is checked: whatever follows, this state can never be used again.
    const saved = await oidc.store.takeLoginState(stateId(state), new Date())
    const presented = binding.read(request)
    if (saved === null) throw refuseState(warnings, request, reply, 'unknown')
    if (presented === undefined || !sameHash(saved.bindingHash, bindingHash(presented))) {
      throw refuseState(warnings, request, reply, 'browser')
    }
    // A state started for provider A and brought to B's callback (a mix-up): refused before any code exchange.
    if (saved.provider !== client.config.name) throw refuseState(warnings, request, reply, 'provider')
    let claims
    try {
      claims = await client.finish(parameters, { state, nonce: saved.nonce, codeVerifier: saved.codeVerifier, redirectUri: saved.redirectUri })
    } catch (error) {
      if (error instanceof OidcRejection) throw refuseAnswer(warnings, request, reply, error, client.config.name)
      binding.clear(reply)
      throw error
    }
    binding.clear(reply)
    const user = await userForIdentity({
      store: context.store, identities: oidc.store, linkByVerifiedEmail: oidc.linkByVerifiedEmail, defaultRoles: options.defaultRoles
    }, client.config, claims)
    // A refresh cookie already present (perhaps planted) is ignored: every sign-in starts a new family, as login does.
    const issued = await sessions.issue(user, clientInfo(request), cookies.device(request, reply))
    cookies.setRefresh(reply, issued.refreshToken, issued.session.expiresAt)
    // 303: the browser follows with a GET whatever it was; the page then calls POST /auth/refresh for its token.
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(saved.returnTo, 303)
  })
}

function refuseState (warnings: ThrottledWarning, request: FastifyRequest, reply: FastifyReply, why: keyof typeof STATE_REFUSALS): AuthError {
  const code = 'AUTH_OIDC_STATE_INVALID'
  warnings.warn(request.log, `${code}:${why}`, { event: 'oidc_refused', code, reason: STATE_REFUSALS[why], ip: request.ip }, 'authgate: OIDC sign-in refused')
  return refused(reply, code)
}

/**
 * A provider's answer refused. Its reason is its library's message (unbounded), so the kind is the provider and the
 * fixed class of the refusal: a flood of one class (cancelled sign-ins, forged `?error=`) never hides another.
 */
function refuseAnswer (warnings: ThrottledWarning, request: FastifyRequest, reply: FastifyReply, error: OidcRejection, provider: string): AuthError {
  const code = 'AUTH_OIDC_REJECTED'
  const reason = error.cause instanceof Error ? error.cause.message : 'refused'
  warnings.warn(request.log, `${code}:${provider}:${error.rejection}`,
    { event: 'oidc_refused', code, rejection: error.rejection, reason, provider, ip: request.ip }, 'authgate: OIDC sign-in refused')
  return refused(reply, code)
}

/** Reasons only are logged: never the code, a token, a state or a cookie value. */
function refused (reply: FastifyReply, code: 'AUTH_OIDC_STATE_INVALID' | 'AUTH_OIDC_REJECTED'): AuthError {
  reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer')
  return new AuthError(code)
}
