// POST /refresh and POST /logout: the two endpoints authenticated by the refresh cookie, hence guarded against
// cross-site requests. A refused refresh (401) clears the cookie; an outage (503) never does, or a database blip
// would log every user out. Several refresh cookies on one request (cookie tossing) are refused on both endpoints
// with 401 AUTH_REFRESH_AMBIGUOUS, every copy expired (http/cookies.ts): logout then revokes nothing, since which session
// the browser meant cannot be told, but the browser holds no refresh token afterwards.
import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import { AuthError } from '../../errors.js'
import { assertSameSite } from '../csrf.js'
import { clientInfo } from '../../sessions/client-info.js'
import { sendSession, type RouteContext } from './context.js'
import { BODY_ERRORS, documented, HIDDEN, INTERNAL_ERROR, NO_SECURITY, RATE_LIMITED, errorResponses, noBody, sessionAnswer } from './docs.js'

export function cookieSessionRoutes (app: FastifyInstance, context: RouteContext): void {
  const { options, sessions, cookies, events } = context
  const limits = options.rateLimit
  const sameSite: onRequestHookHandler = (request, _reply, done) => {
    try {
      assertSameSite(request, options.allowedOrigins, options.publicOrigin, options.cookie.sameSite)
      done()
    } catch (error) {
      done(error as AuthError)
    }
  }

  // No body is read (one sent is parsed as JSON and ignored): none is documented, none validated.
  const cookie = `the refresh cookie \`${options.cookie.name}\``
  app.post('/refresh', {
    onRequest: sameSite,
    bodyLimit: 1024,
    schema: documented({
      tags: ['auth'],
      summary: 'A new access token from the refresh cookie',
      description: `Rotates ${cookie}: the presented token is spent and a new one set. A refused token (401) clears ` +
        'the cookie; presenting a spent token again revokes its session (reuse). Cross-site requests are refused (403).',
      security: NO_SECURITY,
      response: {
        200: sessionAnswer,
        ...errorResponses({
          ...BODY_ERRORS, 401: ['AUTH_REFRESH_INVALID', 'AUTH_REFRESH_REUSED', 'AUTH_REFRESH_AMBIGUOUS'],
          403: ['AUTH_CROSS_SITE', 'AUTH_USER_DISABLED'], ...RATE_LIMITED, ...INTERNAL_ERROR, 503: ['AUTH_STORE_UNAVAILABLE', 'AUTH_KEYS_UNAVAILABLE']
        })
      }
    }),
    config: { auth: 'none', ...(limits === false ? {} : { rateLimit: { max: limits.refresh.max, timeWindow: limits.refresh.timeWindowMs } }) }
  }, async (request, reply) => {
    try {
      const issued = await sessions.refresh(cookies.readRefresh(request, reply), clientInfo(request))
      return await sendSession(context, reply, issued)
    } catch (error) {
      // A disabled user's session is over too (revoked as it was refused): its cookie goes with it.
      if (error instanceof AuthError && (error.statusCode === 401 || error.code === 'AUTH_USER_DISABLED')) cookies.clearRefresh(reply)
      throw error
    }
  })

  app.post('/logout', {
    onRequest: sameSite,
    bodyLimit: 1024,
    schema: documented({
      tags: ['auth'],
      summary: 'Sign out this browser',
      description: `Ends the session of ${cookie} and clears it; 204 as well when there was none.`,
      security: NO_SECURITY,
      response: {
        204: noBody('Signed out (the refresh cookie is cleared)'),
        ...errorResponses({ ...BODY_ERRORS, 401: ['AUTH_REFRESH_AMBIGUOUS'], 403: ['AUTH_CROSS_SITE'], ...INTERNAL_ERROR, 503: ['AUTH_STORE_UNAVAILABLE'] })
      }
    }),
    config: { auth: 'none' }
  }, async (request, reply) => {
    // A failed revoke write rejects (503): the client must not believe the session ended.
    const session = await sessions.logout(cookies.readRefresh(request, reply))
    if (session !== null) {
      events.emit('logout', { userId: session.userId, sessionIds: [session.id], reason: 'logout', ...clientInfo(request), at: new Date() })
    }
    cookies.clearRefresh(reply)
    return reply.code(204).send()
  })

  // State-changing endpoints answer other methods with 405, so a GET link or image cannot trigger them (whatever
  // `defaultAuth` says: the 405 comes before any authentication, as a 404 would).
  for (const url of ['/refresh', '/logout', '/login', '/register', '/logout-all']) {
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'],
      url,
      schema: HIDDEN,
      config: { auth: 'none' },
      handler: async (_request, reply) => reply.code(405).header('allow', 'POST')
        .send({ statusCode: 405, code: 'AUTH_BAD_REQUEST', error: 'Method Not Allowed', message: 'Use POST' })
    })
  }
}
