// Request schemas of the auth routes. `type: string` with bounds turns `{"email": {"$ne": null}}` into a 400 before
// any handler runs, and caps what reaches argon2 (a 1 MB password is refused by the body limit, a 2 KB one here).
import { MAX_PASSWORD_LENGTH } from '../passwords.js'
import { MAX_EMAIL_LENGTH } from '../stores/users.js'

/** Enough for `{email, password}` at their maximum lengths, JSON-escaped. */
export const CREDENTIALS_BODY_LIMIT = 16 * 1024

export const credentialsBody = {
  type: 'object',
  required: ['email', 'password'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', minLength: 3, maxLength: MAX_EMAIL_LENGTH },
    password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH }
  }
} as const

export const sessionIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }
} as const

export const revokeSessionsQuery = {
  type: 'object',
  required: ['others'],
  properties: { others: { type: 'string', enum: ['true'] } }
} as const

export interface CredentialsBody { email: string, password: string }
