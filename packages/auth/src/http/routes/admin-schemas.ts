// Request and answer schemas of the admin API. Fastify's Ajv coerces types and drops unknown members, so the PATCH
// body is checked on its raw form first (strictUserPatch): `{"roles":"admin"}` or `{"disabled":"false"}` or an
// extra member is a 400, never read as something else.
import type { preValidationHookHandler } from 'fastify'
import { DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE } from '../../audit/query.js'
import { AuthError } from '../../errors.js'
import { MAX_EMAIL_LENGTH } from '../../stores/email-identity.js'
import { isRoleList } from '../../tokens/claims.js'
import { MAX_USER_CURSOR_LENGTH } from '../../admin/user-cursor.js'

export const MAX_USERS_PAGE = 100
export const DEFAULT_USERS_PAGE = 50
/** Longer than any id a store writes (UUIDs, provider subjects): anything longer is no user's. */
export const MAX_USER_ID_LENGTH = 256
export const ADMIN_BODY_LIMIT = 8 * 1024

/** A user-list query holds no control characters (a NUL would reach the database's pattern matcher): 400. */
export const USER_QUERY_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$'

export const userIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: MAX_USER_ID_LENGTH, description: 'A user id from GET /admin/users' } }
} as const

export const listUsersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    query: { type: 'string', maxLength: MAX_EMAIL_LENGTH, pattern: USER_QUERY_PATTERN, description: 'Only users whose email contains this (case and compatibility forms folded, like the login lookup)' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_USERS_PAGE, description: `Page size (default ${DEFAULT_USERS_PAGE})` },
    cursor: { type: 'string', minLength: 1, maxLength: MAX_USER_CURSOR_LENGTH, description: 'The `nextCursor` of the previous page' }
  }
} as const

export interface ListUsersQuery { query?: string, limit?: number, cursor?: string }

export const userPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    roles: { type: 'array', items: { type: 'string' }, description: 'The user\'s roles, replaced whole' },
    disabled: { type: 'boolean', description: 'true: refuse login and refresh, end every session; false: lift it' }
  }
} as const

export interface UserPatchBody { roles?: string[], disabled?: boolean }

/** The raw body must be an object of `roles` (role names) and/or `disabled` (a boolean), nothing else. */
export const strictUserPatch: preValidationHookHandler = (request, _reply, done) => {
  const body: unknown = request.body
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    done(new AuthError('AUTH_BAD_REQUEST', { message: 'the body must be a JSON object with roles and/or disabled' }))
    return
  }
  const entries = Object.entries(body)
  for (const [key, value] of entries) {
    if (key === 'roles' && !isRoleList(value)) {
      done(new AuthError('AUTH_BAD_REQUEST', { message: 'roles must be an array of role names (no commas or control characters)' }))
      return
    }
    if (key === 'disabled' && typeof value !== 'boolean') {
      done(new AuthError('AUTH_BAD_REQUEST', { message: 'disabled must be true or false' }))
      return
    }
    if (key !== 'roles' && key !== 'disabled') {
      done(new AuthError('AUTH_BAD_REQUEST', { message: `unknown member ${JSON.stringify(key.slice(0, 64))}: only roles and disabled can be changed` }))
      return
    }
  }
  done(entries.length === 0 ? new AuthError('AUTH_BAD_REQUEST', { message: 'nothing to change: give roles and/or disabled' }) : undefined)
}

const publicUser = {
  type: 'object',
  required: ['id', 'email', 'roles', 'disabled', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    roles: { type: 'array', items: { type: 'string' } },
    disabled: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' }
  }
} as const

export const userAnswer = { description: 'The user (never a password hash)', ...publicUser } as const

export const userList = {
  description: 'A page of users, newest first; `nextCursor` names the next page (null: the last page)',
  type: 'object',
  required: ['users', 'nextCursor'],
  properties: {
    users: { type: 'array', items: publicUser },
    nextCursor: { type: ['string', 'null'] }
  }
} as const

export const adminSessionList = {
  description: 'The user\'s live sessions, newest first; `x-next-cursor` names the next page',
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'createdAt', 'lastUsedAt'],
    properties: {
      id: { type: 'string' },
      device: { type: ['string', 'null'] },
      ip: { type: ['string', 'null'] },
      userAgent: { type: ['string', 'null'] },
      createdAt: { type: 'string', format: 'date-time' },
      lastUsedAt: { type: 'string', format: 'date-time' }
    }
  }
} as const

export const listAuditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    userId: { type: 'string', minLength: 1, maxLength: MAX_USER_ID_LENGTH, description: 'Only rows about this user' },
    type: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z]+$', description: 'Only rows of this type (login, loginFailed, adminAction, …)' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_AUDIT_PAGE, description: `Page size (default ${DEFAULT_AUDIT_PAGE})` },
    cursor: { type: 'string', minLength: 1, maxLength: 128, description: 'The `nextCursor` of the previous page' }
  }
} as const

export interface ListAuditQuery { userId?: string, type?: string, limit?: number, cursor?: string }

export const auditPage = {
  description: 'A page of the audit trail, newest first; `nextCursor` names the next page (null: the last page)',
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'type', 'at', 'userId', 'actor', 'ip', 'userAgent', 'details'],
        properties: {
          id: { type: 'string' },
          type: { type: 'string' },
          at: { type: 'string', format: 'date-time' },
          userId: { type: ['string', 'null'] },
          actor: { type: ['string', 'null'], description: 'Who acted for admin rows: an admin\'s user id, or `cli`' },
          ip: { type: 'string' },
          userAgent: { type: 'string' },
          details: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } }
        }
      }
    },
    nextCursor: { type: ['string', 'null'] }
  }
} as const
