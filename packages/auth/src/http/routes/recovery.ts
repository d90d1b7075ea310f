// POST /password/forgot, /password/reset, /password/change, /email/verify/request, /email/verify (built-in users
// only). Every route is limited per client IP (rateLimit.recovery) and, where the account is known from the
// request, per account too (rateLimit.recoveryAccount: the email asked for, or the signed-in user), from every IP.
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { AuthError } from '../../errors.js'
import type { RecoveryService } from '../../recovery/service.js'
import { clientInfo } from '../../sessions/client-info.js'
import type { AuthClaims } from '../augmentation.js'
import type { RouteContext } from './context.js'
import { BEARER_ERRORS, BEARER_SECURITY, BODY_ERRORS, INTERNAL_ERROR, NO_SECURITY, RATE_LIMITED, documented, errorResponses, noBody, withBearerScheme } from './docs.js'
import { lockoutEmailKey } from '../../limits/lockout-key.js'
import { RECOVERY_BODY_LIMIT, changeBody, forgotBody, resetBody, strictStrings, verifyBody } from './recovery-schemas.js'

const ACCEPTED = { description: 'Accepted: a link is sent if the account exists (the answer is the same either way)', type: 'object', properties: { status: { type: 'string' } } } as const

function bearerClaims (request: FastifyRequest, ownIssuer: string): AuthClaims {
  const claims = request.user
  if (claims === null) throw new AuthError('AUTH_TOKEN_MISSING')
  // A trusted issuer's user has no password or email here to manage.
  if (claims.sid === '' || claims.iss !== ownIssuer) throw new AuthError('AUTH_FORBIDDEN')
  return claims
}

export function recoveryRoutes (app: FastifyInstance, context: RouteContext, recovery: RecoveryService, links: boolean): void {
  const { options } = context
  const limits = options.rateLimit
  const ownIssuer = options.tokens.issuer
  const perIp = limits === false ? {} : { rateLimit: { max: limits.recovery.max, timeWindow: limits.recovery.timeWindowMs } }
  /**
   * The per-account limit of one route, keyed by what `account` reads from the request (after the body is parsed).
   * Through createRateLimit, not app.rateLimit: @fastify/rate-limit runs one of its hooks per request, so a second
   * hook after the per-IP one would never count.
   */
  const perAccount = (route: string, account: (request: FastifyRequest) => string): preHandlerAsyncHookHandler[] => {
    if (limits === false) return []
    const limiter = app.createRateLimit({ max: limits.recoveryAccount.max, timeWindow: limits.recoveryAccount.timeWindowMs, keyGenerator: (request) => `account:${route}:${account(request)}` })
    return [async (request) => {
      const verdict = await limiter(request)
      if (!verdict.isAllowed && verdict.isExceeded) throw new AuthError('AUTH_RATE_LIMITED', { retryAfter: verdict.ttlInSeconds })
    }]
  }
  const signedIn = (request: FastifyRequest): string => request.user?.sub ?? ''
  const required = withBearerScheme({ auth: 'required' as const, ...perIp })

  if (links) {
    app.post<{ Body: { email: string } }>('/password/forgot', {
      bodyLimit: RECOVERY_BODY_LIMIT,
      preValidation: strictStrings(['email']),
      preHandler: perAccount('forgot', (request) => lockoutEmailKey((request.body as { email: string }).email)),
      schema: documented({
        tags: ['account'],
        summary: 'Ask for a password-reset link',
        description: 'Always 202 with the same body, whether or not the account exists; the link is mailed (and emitted as ' +
          '`passwordReset`) after the answer.',
        security: NO_SECURITY,
        body: forgotBody,
        response: { 202: ACCEPTED, ...errorResponses({ ...BODY_ERRORS, ...RATE_LIMITED, ...INTERNAL_ERROR }) }
      }),
      config: { auth: 'none', ...perIp }
    }, async (request, reply) => {
      recovery.requestReset(request.body.email, clientInfo(request).ip)
      return reply.code(202).header('cache-control', 'no-store').send({ status: 'accepted' })
    })

    app.post('/email/verify/request', {
      bodyLimit: 1024,
      preHandler: perAccount('verify-request', signedIn),
      schema: documented({
        tags: ['account'],
        summary: 'Send a verification link to the user\'s email',
        description: 'Always 202; nothing is sent when the email is verified already.',
        security: BEARER_SECURITY,
        response: { 202: ACCEPTED, ...errorResponses({ ...BODY_ERRORS, ...BEARER_ERRORS, 403: ['AUTH_FORBIDDEN'], ...RATE_LIMITED, ...INTERNAL_ERROR }) }
      }),
      config: required
    }, async (request, reply) => {
      const claims = bearerClaims(request, ownIssuer)
      recovery.requestVerification(claims.sub, clientInfo(request).ip)
      return reply.code(202).header('cache-control', 'no-store').send({ status: 'accepted' })
    })
  }

  app.post<{ Body: { token: string, password: string } }>('/password/reset', {
    bodyLimit: RECOVERY_BODY_LIMIT,
    preValidation: strictStrings(['token', 'password']),
    schema: documented({
      tags: ['account'],
      summary: 'Set a new password with a reset link\'s token',
      description: 'The token works once. Every session of the user is revoked (access tokens stop within the revocation delay).',
      security: NO_SECURITY,
      body: resetBody,
      response: {
        204: noBody('The password was changed'),
        ...errorResponses({ 400: ['AUTH_BAD_REQUEST', 'AUTH_RESET_INVALID'], 413: ['AUTH_BAD_REQUEST'], 415: ['AUTH_BAD_REQUEST'], ...RATE_LIMITED, ...INTERNAL_ERROR, 503: ['AUTH_STORE_UNAVAILABLE'] })
      }
    }),
    config: { auth: 'none', ...perIp }
  }, async (request, reply) => {
    await recovery.reset(request.body.token, request.body.password, clientInfo(request))
    return reply.code(204).send()
  })

  app.post<{ Body: { currentPassword: string, password: string } }>('/password/change', {
    bodyLimit: RECOVERY_BODY_LIMIT,
    preValidation: strictStrings(['currentPassword', 'password']),
    preHandler: perAccount('change', signedIn),
    schema: documented({
      tags: ['account'],
      summary: 'Change the password',
      description: 'Needs the current password (401 AUTH_INVALID_CREDENTIALS when wrong). The user\'s other sessions are revoked; this one stays.',
      security: BEARER_SECURITY,
      body: changeBody,
      response: {
        204: noBody('The password was changed'),
        ...errorResponses({ ...BODY_ERRORS, 401: [...BEARER_ERRORS[401], 'AUTH_INVALID_CREDENTIALS'], 403: ['AUTH_FORBIDDEN'], ...RATE_LIMITED, ...INTERNAL_ERROR, 503: BEARER_ERRORS[503] })
      }
    }),
    config: required
  }, async (request, reply) => {
    const claims = bearerClaims(request, ownIssuer)
    await recovery.change(claims.sub, claims.sid, request.body.currentPassword, request.body.password, clientInfo(request))
    return reply.code(204).send()
  })

  app.post<{ Body: { token: string } }>('/email/verify', {
    bodyLimit: RECOVERY_BODY_LIMIT,
    preValidation: strictStrings(['token']),
    schema: documented({
      tags: ['account'],
      summary: 'Verify the email with a verification link\'s token',
      description: 'The token works once, and only for verification (a reset token is refused alike).',
      security: NO_SECURITY,
      body: verifyBody,
      response: {
        204: noBody('The email is verified'),
        ...errorResponses({ 400: ['AUTH_BAD_REQUEST', 'AUTH_RESET_INVALID'], 413: ['AUTH_BAD_REQUEST'], 415: ['AUTH_BAD_REQUEST'], ...RATE_LIMITED, ...INTERNAL_ERROR, 503: ['AUTH_STORE_UNAVAILABLE'] })
      }
    }),
    config: { auth: 'none', ...perIp }
  }, async (request, reply) => {
    await recovery.verifyEmail(request.body.token, clientInfo(request).ip)
    return reply.code(204).send()
  })
}
