// Creating a user in the built-in users collection, shared by POST /register and the gateway CLI
// (`authgate user add`): one place validates the email and password and hashes the password.
import { randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import { isRoleList } from '../tokens/claims.js'
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../passwords.js'
import type { SessionStore, UserRecord } from './store.js'
import { parseEmail } from './email-identity.js'

export { MAX_EMAIL_LENGTH, normaliseEmail } from './email-identity.js'

export interface AddUserInput {
  email: string
  password: string
  roles?: string[]
}

/**
 * Validates, hashes and stores a user. Rejects with AuthError AUTH_BAD_REQUEST (bad email or password, message
 * says which), AUTH_EMAIL_TAKEN, or AUTH_STORE_UNAVAILABLE.
 */
export async function addUser (store: SessionStore, input: AddUserInput): Promise<UserRecord> {
  const { email, key } = parseEmail(input.email)
  const length = Array.from(input.password.normalize('NFC')).length
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new AuthError('AUTH_BAD_REQUEST', { message: `password must hold ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` })
  }
  const roles = input.roles ?? []
  if (!isRoleList(roles)) throw new AuthError('AUTH_BAD_REQUEST', { message: 'roles must be role names (no commas or control characters)' })
  return store.createUser({
    id: randomUUID(), email, emailNormalized: key, passwordHash: await hashPassword(input.password), roles: [...roles]
  })
}
