// Bodies of the account-recovery routes. As with login (schemas.ts strictCredentials), the raw body must be an
// object of strings with only the named members: Ajv would coerce `["x"]` to "x" and drop unknown members.
import type { preValidationHookHandler } from 'fastify'
import { AuthError } from '../../errors.js'
import { MAX_PASSWORD_LENGTH } from '../../users/passwords.js'
import { MAX_EMAIL_LENGTH } from '../../users/add-user.js'

/** Small bodies only: the largest holds two passwords at their maximum length, JSON-escaped. */
export const RECOVERY_BODY_LIMIT = 16 * 1024
/** Longer than any token issued (43 characters), so a malformed one is answered AUTH_RESET_INVALID, not a schema error. */
const MAX_TOKEN_LENGTH = 512

const password = { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } as const
const token = { type: 'string', minLength: 1, maxLength: MAX_TOKEN_LENGTH, description: 'The token of the mailed link (after #token=)' } as const

export const forgotBody = {
  type: 'object', required: ['email'], additionalProperties: false,
  properties: { email: { type: 'string', minLength: 3, maxLength: MAX_EMAIL_LENGTH } }
} as const

export const resetBody = {
  type: 'object', required: ['token', 'password'], additionalProperties: false,
  properties: { token, password: { ...password, description: 'The new password (the registration policy applies)' } }
} as const

export const changeBody = {
  type: 'object', required: ['currentPassword', 'password'], additionalProperties: false,
  properties: { currentPassword: password, password: { ...password, description: 'The new password (the registration policy applies)' } }
} as const

export const verifyBody = {
  type: 'object', required: ['token'], additionalProperties: false,
  properties: { token }
} as const

/** A preValidation refusing any body that is not an object of strings named by `keys`. */
export function strictStrings (keys: readonly string[]): preValidationHookHandler {
  return (request, _reply, done) => {
    const body: unknown = request.body
    const strict = typeof body === 'object' && body !== null && !Array.isArray(body) &&
      Object.entries(body).every(([key, value]) => keys.includes(key) && typeof value === 'string')
    done(strict ? undefined : new AuthError('AUTH_BAD_REQUEST'))
  }
}
