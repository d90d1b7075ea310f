// The Bearer-authenticated endpoints: logout-all, the session list and its revocations, and /me. `config.auth`
// makes the plugin's onRequest hook verify the access token (and the revocation list) before these run.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { clientInfo } from '../../sessions/client-info.js'
import { readableDevice } from '../../sessions/readable-device.js'
import { AuthError } from '../../errors.js'
import type { AuthClaims } from '../augmentation.js'
import type { RouteContext } from './context.js'
import { presentEmail } from '../../stores/user-email.js'
import { summariseSession } from '../session-summary.js'
import { decodeCursor, encodeCursor, UNPAGED_SESSIONS_LIMIT } from '../../sessions/page-cursor.js'
import { listSessionsQuery, revokeSessionsQuery, sessionIdParams, type ListSessionsQuery } from './schemas.js'
import { BEARER_ERRORS, documented, BEARER_SECURITY, BODY_ERRORS, INTERNAL_ERROR, RATE_LIMITED, errorResponses, meAnswer, noBody, sessionList, withBearerScheme } from './docs.js'

// swaggerTransform: the document then declares the bearer scheme these routes require (docs.ts).
const required = withBearerScheme({ auth: 'required' as const })


function claimsOf (request: FastifyRequest): AuthClaims {
  // The onRequest hook answered 401 already when there is no valid token; this guards a misconfiguration.
  if (request.user === null) throw new AuthError('AUTH_TOKEN_MISSING')
  return request.user
}

/**
 * A trusted external issuer's token (tokens.trustedIssuers): its `sub` is that issuer's user, never an authgate
 * user, even when the strings match. It has no sessions here: the session routes must not read or revoke those of
 * an authgate user who happens to share the id (issuer confusion).
 */
function isExternal (claims: AuthClaims, ownIssuer: string): boolean {
  return claims.sid === '' || claims.iss !== ownIssuer
}

export function bearerRoutes (app: FastifyInstance, context: RouteContext): void {
  const { options, store, sessions, cookies, events } = context
  const ownIssuer = options.tokens.issuer

  // Each logout-all writes (a subject tombstone for an external token): limited per IP like refresh, its own counter.
  const limits = options.rateLimit
  const logoutAllConfig = limits === false ? required : { ...required, rateLimit: { max: limits.refresh.max, timeWindow: limits.refresh.timeWindowMs } }
  app.post('/logout-all', {
    config: logoutAllConfig,
    bodyLimit: 1024,
    schema: documented({
      tags: ['sessions'],
      summary: 'Sign out everywhere',
      description: 'Revokes every session of the user (their access tokens stop working within the revocation delay) ' +
        'and clears this browser\'s refresh cookie. For a trusted issuer\'s token: every token of that user issued so far.',
      security: BEARER_SECURITY,
      response: {
        204: noBody('Every session ended'),
        ...errorResponses({ ...BODY_ERRORS, ...BEARER_ERRORS, ...RATE_LIMITED, ...INTERNAL_ERROR })
      }
    })
  }, async (request, reply) => {
    const claims = claimsOf(request)
    if (isExternal(claims, ownIssuer)) {
      // Every token of this user at this issuer issued until now, on every instance within revocationDelay.
      await sessions.revokeSubject(claims.iss, claims.sub)
      events.emit('logout', { userId: claims.sub, issuer: claims.iss, sessionIds: [], reason: 'logout-all', ...clientInfo(request), at: new Date() })
      cookies.clearRefresh(reply)
      return reply.code(204).send()
    }
    const ids = await sessions.revokeAll(claims.sub)
    events.emit('logout', { userId: claims.sub, sessionIds: ids, reason: 'logout-all', ...clientInfo(request), at: new Date() })
    cookies.clearRefresh(reply)
    return reply.code(204).send()
  })

  app.get<{ Querystring: ListSessionsQuery }>('/sessions', {
    config: required,
    schema: documented({
      tags: ['sessions'],
      summary: 'The user\'s live sessions',
      description: 'All at once, or pages of `limit` when it is given; a further page is named by `x-next-cursor` ' +
        '(and a `link` header, rel="next").',
      security: BEARER_SECURITY,
      querystring: listSessionsQuery,
      response: {
        200: sessionList,
        ...errorResponses({ 400: ['AUTH_BAD_REQUEST'], ...BEARER_ERRORS, ...INTERNAL_ERROR })
      }
    })
  }, async (request, reply) => {
    const claims = claimsOf(request)
    const { limit, cursor } = request.query
    const after = cursor === undefined ? undefined : decodeCursor(cursor)
    if (cursor !== undefined && after === undefined) throw new AuthError('AUTH_BAD_REQUEST', { message: 'cursor is not one this server wrote' })
    const page = { limit: limit ?? UNPAGED_SESSIONS_LIMIT, ...(after === undefined ? {} : { after }) }
    const { sessions: listed, more } = isExternal(claims, ownIssuer) ? { sessions: [], more: false } : await sessions.list(claims.sub, page)
    const last = listed.at(-1)
    if (more && last !== undefined) {
      const next = encodeCursor(last)
      const query = limit === undefined ? `cursor=${next}` : `limit=${limit}&cursor=${next}`
      reply.header('x-next-cursor', next).header('link', `<${options.prefix}/sessions?${query}>; rel="next"`)
    }
    return reply.header('cache-control', 'no-store').send(listed.map(summariseSession).map((session) => ({
      id: session.id,
      device: session.device,
      ip: session.ip,
      userAgent: session.userAgent,
      client: readableDevice(session.userAgent),
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      current: session.id === claims.sid
    })))
  })

  app.delete<{ Params: { id: string } }>('/sessions/:id', {
    config: required,
    schema: documented({
      tags: ['sessions'],
      summary: 'End one of the user\'s sessions',
      description: 'A session of another user, or none, is 404 alike.',
      security: BEARER_SECURITY,
      params: sessionIdParams,
      response: {
        204: noBody('The session ended'),
        ...errorResponses({ 400: ['AUTH_BAD_REQUEST'], ...BEARER_ERRORS, 404: ['AUTH_NOT_FOUND'], ...INTERNAL_ERROR })
      }
    })
  }, async (request, reply) => {
    const claims = claimsOf(request)
    if (isExternal(claims, ownIssuer) || !await sessions.revokeOne(claims.sub, request.params.id)) throw new AuthError('AUTH_NOT_FOUND')
    events.emit('logout', { userId: claims.sub, sessionIds: [request.params.id], reason: 'revoke-session', ...clientInfo(request), at: new Date() })
    return reply.code(204).send()
  })

  app.delete('/sessions', {
    config: required,
    schema: documented({
      tags: ['sessions'],
      summary: 'End the user\'s other sessions',
      description: 'Every session but the one of the presented token; `others=true` is required (a bare DELETE ends nothing).',
      security: BEARER_SECURITY,
      querystring: revokeSessionsQuery,
      response: {
        204: noBody('The other sessions ended'),
        ...errorResponses({ 400: ['AUTH_BAD_REQUEST'], ...BEARER_ERRORS, ...INTERNAL_ERROR })
      }
    })
  }, async (request, reply) => {
    const claims = claimsOf(request)
    // An external token has no other sessions here (and no own one to keep): nothing to revoke.
    if (isExternal(claims, ownIssuer)) return reply.code(204).send()
    const ids = await sessions.revokeAll(claims.sub, claims.sid)
    events.emit('logout', { userId: claims.sub, sessionIds: ids, reason: 'revoke-others', ...clientInfo(request), at: new Date() })
    return reply.code(204).send()
  })

  app.get('/me', {
    config: required,
    schema: documented({
      tags: ['sessions'],
      summary: 'The signed-in user',
      security: BEARER_SECURITY,
      response: { 200: meAnswer, ...errorResponses({ ...BEARER_ERRORS, ...INTERNAL_ERROR }) }
    })
  }, async (request, reply) => {
    const claims = claimsOf(request)
    let user: { id: string, email: string | null, roles: string[], emailVerified?: boolean } = { id: claims.sub, email: null, roles: claims.roles }
    if (isExternal(claims, ownIssuer)) {
      user = { id: claims.sub, email: presentEmail(claims.email), roles: claims.roles }
    } else if (options.verifyCredentials === undefined) {
      // Bearer routes keep working while the store is down: fall back to what the token says.
      const stored = await store.findUserById(claims.sub).catch(() => null)
      if (stored !== null) user = { id: stored.id, email: presentEmail(stored.email), roles: stored.roles, emailVerified: stored.emailVerified === true }
    }
    return reply.header('cache-control', 'no-store').send({ user, claims })
  })
}
