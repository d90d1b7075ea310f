// Request schemas of the auth routes. `type: string` with bounds turns `{"email": {"$ne": null}}` into a 400 before
// any handler runs, and caps what reaches argon2 (a 1 MB password is refused by the body limit, a 2 KB one here).
import type { preValidationHookHandler } from 'fastify'
import { AuthError } from '../../errors.js'
import { MAX_PASSWORD_LENGTH } from '../../users/passwords.js'
import { MAX_EMAIL_LENGTH } from '../../users/add-user.js'
import { MAX_CURSOR_LENGTH, MAX_SESSIONS_PAGE } from '../../sessions/page-cursor.js'

/** Enough for `{email, password}` at their maximum lengths, JSON-escaped. */
export const CREDENTIALS_BODY_LIMIT = 16 * 1024

export const credentialsBody = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 3, maxLength: MAX_EMAIL_LENGTH, description: 'No other member, and no type but a string, is accepted' },
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH }
  }
} as const

export const sessionIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'A session id from GET /sessions' } }
} as const

export const listSessionsQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_SESSIONS_PAGE, description: 'Page size; absent: every session' },
    cursor: { type: 'string', minLength: 1, maxLength: MAX_CURSOR_LENGTH, description: 'The `x-next-cursor` of the previous page' }
  }
} as const

export interface ListSessionsQuery { limit?: number, cursor?: string }

export const revokeSessionsQuery = {
  type: 'object',
  required: ['others'],
  properties: { others: { type: 'string', enum: ['true'] } }
} as const

export interface CredentialsBody { email: string, password: string }

/**
 * Runs before the schema: Fastify's Ajv coerces (`{"email":["a"]}` becomes `"a"`, a number becomes a string) and
 * drops unknown members (`$where`) instead of refusing them, so a type-confused body would log in. The raw body
 * must be an object holding only string `email`/`password` (the schema then checks presence and lengths).
 */
export const strictCredentials: preValidationHookHandler = (request, _reply, done) => {
  const body: unknown = request.body
  const strict = typeof body === 'object' && body !== null && !Array.isArray(body) &&
    Object.entries(body).every(([key, value]) => (key === 'email' || key === 'password') && typeof value === 'string')
  done(strict ? undefined : new AuthError('AUTH_BAD_REQUEST'))
}
