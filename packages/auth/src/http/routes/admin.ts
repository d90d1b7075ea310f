// The admin API under the auth prefix (docs/design.md, HTTP contract: Admin API): the users, their roles, `disabled`, deletion and
// their sessions. Every route requires an access token holding one of admin.roles (the route policy: 401 without a
// token, 403 AUTH_FORBIDDEN without the role) AND, read again from the store at each request, an acting admin who
// still exists, is not disabled and still holds such a role: a demoted or disabled admin's live token cannot act.
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import { AuthError } from '../../errors.js'
import type { RouteContext } from './context.js'
import { BEARER_ERRORS, BEARER_SECURITY, BODY_ERRORS, INTERNAL_ERROR, documented, errorResponses, noBody, withBearerScheme } from './docs.js'
import { summariseSession } from '../session-summary.js'
import { listSessionsQuery, type ListSessionsQuery } from './schemas.js'
import { decodeCursor, encodeCursor, UNPAGED_SESSIONS_LIMIT } from '../../sessions/page-cursor.js'
import { foldEmailFragment } from '../../stores/email-identity.js'
import type { UserRecord } from '../../stores/store.js'
import { deleteUser, identityUnlinker, publicUser, revokeUserSessions, updateUser, type AdminActor, type AdminCheck, type AdminTarget } from '../../admin/operations.js'
import { checkAdminChange, holdsAdminRole, type AdminChange, type AdminRules } from '../../admin/rules.js'
import {
  ADMIN_BODY_LIMIT, DEFAULT_USERS_PAGE, adminSessionList, auditPage, listAuditQuery, listUsersQuery, strictUserPatch, userAnswer, userIdParams, userList,
  userPatchBody, type ListAuditQuery, type ListUsersQuery, type UserPatchBody
} from './admin-schemas.js'
import type { AdminStore } from '../../admin/store-support.js'
import { decodeUserCursor, encodeUserCursor } from '../../admin/user-cursor.js'

/** Every path of the admin API, relative to the auth prefix (tests derive their authorization matrix from the routes). */
export const ADMIN_PATH_PREFIX = '/admin/'

const ADMIN_ERRORS = { ...BEARER_ERRORS, 403: ['AUTH_FORBIDDEN', 'AUTH_ADMIN_ESCALATION'] } as const
type ErrorsByStatus = Parameters<typeof errorResponses>[0]
const kActor = Symbol('authgate.adminActor')
type AdminRequest = FastifyRequest & { [kActor]?: UserRecord }

export function adminRoutes (app: FastifyInstance, context: RouteContext, store: AdminStore): void {
  const { options, sessions, events, queryAudit } = context
  const rules: AdminRules = { adminRoles: options.admin.roles, grantableRoles: options.admin.grantableRoles }
  const target: AdminTarget = {
    store,
    revokeSessions: (userId) => sessions.revokeAll(userId),
    unlinkIdentities: identityUnlinker(store),
    report: (event) => { events.emit('adminAction', event) }
  }
  // The token's roles are checked by the route policy (onRequest); this re-reads the admin from the store.
  const config = withBearerScheme({ auth: 'required' as const, roles: [...options.admin.roles] })

  const requireAdmin: preHandlerAsyncHookHandler = async function requireAdmin (request) {
    const claims = request.user
    if (claims === null) throw new AuthError('AUTH_TOKEN_MISSING')
    // A trusted issuer's token names that issuer's user, never one of ours, whatever its roles claim.
    if (claims.sid === '' || claims.iss !== options.tokens.issuer) throw new AuthError('AUTH_FORBIDDEN')
    const actor = await store.findUserById(claims.sub)
    if (actor === null || actor.disabled === true || !holdsAdminRole(actor.roles, rules)) throw new AuthError('AUTH_FORBIDDEN')
    ;(request as AdminRequest)[kActor] = actor
  }

  const actorOf = (request: FastifyRequest): UserRecord => {
    const actor = (request as AdminRequest)[kActor]
    // requireAdmin ran (it is every admin route's preHandler): this guards a wiring mistake.
    if (actor === undefined) throw new AuthError('AUTH_FORBIDDEN')
    return actor
  }
  const who = (request: FastifyRequest): AdminActor => ({ id: actorOf(request).id, ip: request.ip })
  const checkFor = (request: FastifyRequest, change: AdminChange): AdminCheck => (user) => { checkAdminChange(actorOf(request), user, change, rules) }

  const route = (summary: string, description: string, extra: Record<string, unknown>, responses: Record<string, unknown>, errors: ErrorsByStatus) => ({
    config,
    preHandler: requireAdmin,
    schema: documented({
      tags: ['admin'], summary, description, security: BEARER_SECURITY, ...extra,
      response: { ...responses, ...errorResponses({ ...ADMIN_ERRORS, ...INTERNAL_ERROR, ...errors }) }
    })
  })

  app.get<{ Querystring: ListUsersQuery }>('/admin/users', route('List users',
    'Newest first, in pages of `limit` (default 50, at most 100). `query` keeps users whose email contains it, folded ' +
    'like the login lookup (case, compatibility forms). `nextCursor` names the next page.',
    { querystring: listUsersQuery }, { 200: userList }, { 400: ['AUTH_BAD_REQUEST'] }), async (request, reply) => {
    const { query, cursor } = request.query
    const limit = request.query.limit ?? DEFAULT_USERS_PAGE
    const after = cursor === undefined ? undefined : decodeUserCursor(cursor)
    if (cursor !== undefined && after === undefined) throw new AuthError('AUTH_BAD_REQUEST', { message: 'cursor is not one this server wrote' })
    const fragment = query === undefined ? '' : foldEmailFragment(query)
    // One more than the page: whether a next page exists, without a count.
    const found = await store.listUsers({ limit: limit + 1, ...(after === undefined ? {} : { after }), ...(fragment === '' ? {} : { emailContains: fragment }) })
    const page = found.slice(0, limit)
    const last = page.at(-1)
    return reply.header('cache-control', 'no-store').send({
      users: page.map(publicUser),
      nextCursor: found.length > limit && last !== undefined ? encodeUserCursor(last) : null
    })
  })

  app.get<{ Params: { id: string } }>('/admin/users/:id', route('One user', 'Unknown ids answer 404.',
    { params: userIdParams }, { 200: userAnswer }, { 400: ['AUTH_BAD_REQUEST'], 404: ['AUTH_NOT_FOUND'] }), async (request, reply) => {
    const user = await store.findUserById(request.params.id)
    if (user === null) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
    return reply.header('cache-control', 'no-store').send(publicUser(user))
  })

  app.patch<{ Params: { id: string }, Body: UserPatchBody }>('/admin/users/:id', {
    ...route('Change a user\'s roles or disabled state',
      'Only `roles` and `disabled`. Roles reach access tokens at the next refresh; disabling ends every session. An admin ' +
      'may grant or remove only roles they may grant (admin.grantableRoles, else their own: 403 AUTH_ADMIN_ESCALATION) ' +
      'and may not disable or demote themselves (409 AUTH_ADMIN_SELF_LOCKOUT).',
      { params: userIdParams, body: userPatchBody }, { 200: userAnswer },
      { ...BODY_ERRORS, 404: ['AUTH_NOT_FOUND'], 409: ['AUTH_ADMIN_SELF_LOCKOUT'] }),
    bodyLimit: ADMIN_BODY_LIMIT,
    preValidation: strictUserPatch
  }, async (request, reply) => {
    const { roles, disabled } = request.body
    const update = { ...(roles === undefined ? {} : { roles }), ...(disabled === undefined ? {} : { disabled }) }
    const { user } = await updateUser(target, who(request), request.params.id, update, checkFor(request, { kind: 'update', ...update }))
    return reply.header('cache-control', 'no-store').send(publicUser(user))
  })

  app.delete<{ Params: { id: string } }>('/admin/users/:id', route('Delete a user',
    'Ends their sessions, removes the user and their device and network records. Their email can then be registered again.',
    { params: userIdParams }, { 204: noBody('The user is gone') },
    { 400: ['AUTH_BAD_REQUEST'], 404: ['AUTH_NOT_FOUND'], 409: ['AUTH_ADMIN_SELF_LOCKOUT'] }), async (request, reply) => {
    await deleteUser(target, who(request), request.params.id, checkFor(request, { kind: 'delete' }))
    return reply.code(204).send()
  })

  app.get<{ Params: { id: string }, Querystring: ListSessionsQuery }>('/admin/users/:id/sessions', route('A user\'s live sessions',
    'As GET /sessions for the user (pages of `limit`, `x-next-cursor`). Unknown ids answer 404.',
    { params: userIdParams, querystring: listSessionsQuery }, { 200: adminSessionList },
    { 400: ['AUTH_BAD_REQUEST'], 404: ['AUTH_NOT_FOUND'] }), async (request, reply) => {
    const { limit, cursor } = request.query
    const after = cursor === undefined ? undefined : decodeCursor(cursor)
    if (cursor !== undefined && after === undefined) throw new AuthError('AUTH_BAD_REQUEST', { message: 'cursor is not one this server wrote' })
    if (await store.findUserById(request.params.id) === null) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
    const { sessions: listed, more } = await sessions.list(request.params.id, { limit: limit ?? UNPAGED_SESSIONS_LIMIT, ...(after === undefined ? {} : { after }) })
    const last = listed.at(-1)
    if (more && last !== undefined) reply.header('x-next-cursor', encodeCursor(last))
    return reply.header('cache-control', 'no-store').send(listed.map(summariseSession).map((session) => ({
      id: session.id,
      device: session.device,
      ip: session.ip,
      userAgent: session.userAgent,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString()
    })))
  })

  app.delete<{ Params: { id: string } }>('/admin/users/:id/sessions', route('End every session of a user',
    'Refresh stops at once; access tokens are refused within the revocation delay.',
    { params: userIdParams }, { 204: noBody('Every session ended') },
    { 400: ['AUTH_BAD_REQUEST'], 404: ['AUTH_NOT_FOUND'] }), async (request, reply) => {
    await revokeUserSessions(target, who(request), request.params.id, checkFor(request, { kind: 'revoke-sessions' }))
    return reply.code(204).send()
  })

  app.get<{ Querystring: ListAuditQuery }>('/admin/audit', route('The audit trail',
    'Rows newest first, in pages of `limit` (default 50, at most 200), by `userId` and/or `type`; `nextCursor` names the ' +
    'next page. Rows hold no token, password, hash or cookie. 404 when the trail is off (`audit.retention: false`) or ' +
    'the store keeps none.',
    { querystring: listAuditQuery }, { 200: auditPage }, { 400: ['AUTH_BAD_REQUEST'], 404: ['AUTH_NOT_FOUND'] }), async (request, reply) => {
    const page = await queryAudit(request.query)
    return reply.header('cache-control', 'no-store').send({
      items: page.items.map((row) => ({ ...row, at: row.at.toISOString() })),
      nextCursor: page.nextCursor
    })
  })
}
