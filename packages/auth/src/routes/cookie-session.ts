// POST /refresh and POST /logout: the two endpoints authenticated by the refresh cookie, hence guarded against
// cross-site requests. A refused refresh (401) clears the cookie; an outage (503) never does, or a database blip
// would log every user out. Several refresh cookies on one request (cookie tossing) are refused on both endpoints
// with 401 AUTH_REFRESH_AMBIGUOUS, every copy expired (cookies.ts): logout then revokes nothing, since which session
// the browser meant cannot be told, but the browser holds no refresh token afterwards.
import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import { AuthError } from '../errors.js'
import { assertSameSite } from '../csrf.js'
import { clientInfo } from '../sessions/client-info.js'
import { sendSession, type RouteContext } from './context.js'

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

  app.post('/refresh', {
    onRequest: sameSite,
    bodyLimit: 1024,
    config: { auth: 'none', ...(limits === false ? {} : { rateLimit: { max: limits.refresh.max, timeWindow: limits.refresh.timeWindowMs } }) }
  }, async (request, reply) => {
    try {
      const issued = await sessions.refresh(cookies.readRefresh(request, reply), clientInfo(request))
      return await sendSession(context, reply, issued)
    } catch (error) {
      if (error instanceof AuthError && error.statusCode === 401) cookies.clearRefresh(reply)
      throw error
    }
  })

  app.post('/logout', { onRequest: sameSite, bodyLimit: 1024, config: { auth: 'none' } }, async (request, reply) => {
    // A failed revoke write rejects (503): the client must not believe the session ended.
    const session = await sessions.logout(cookies.readRefresh(request, reply))
    if (session !== null) {
      events.emit('logout', { userId: session.userId, sessionIds: [session.id], reason: 'logout', ip: request.ip, at: new Date() })
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
      config: { auth: 'none' },
      handler: async (_request, reply) => reply.code(405).header('allow', 'POST')
        .send({ statusCode: 405, code: 'AUTH_BAD_REQUEST', error: 'Method Not Allowed', message: 'Use POST' })
    })
  }
}
