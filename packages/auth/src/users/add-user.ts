// Creating a user in the built-in users collection, shared by POST /register and the gateway CLI
// (`authgate user add`): one place validates the email and password and hashes the password.
import { randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import { isRoleList } from '../tokens/claims.js'
import { checkPasswordPolicy, hashPassword } from './passwords.js'
import type { SessionStore, UserRecord } from '../stores/store.js'
import { legacyEmailKey, normaliseEmail, parseEmail } from '../stores/email-identity.js'

export { MAX_EMAIL_LENGTH, normaliseEmail } from '../stores/email-identity.js'

/**
 * The user an email names: by its identity key, else (once) by the key users were stored under before it
 * (email-identity.ts, legacyEmailKey), so accounts registered before the identity key stay reachable.
 */
export async function findUserByEmail (store: SessionStore, email: string): Promise<UserRecord | null> {
  const key = normaliseEmail(email)
  const user = await store.findUserByEmail(key)
  const legacy = legacyEmailKey(email)
  return user ?? (legacy === key ? null : await store.findUserByEmail(legacy))
}

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
  checkPasswordPolicy(input.password)
  const roles = input.roles ?? []
  if (!isRoleList(roles)) throw new AuthError('AUTH_BAD_REQUEST', { message: 'roles must be role names (no commas or control characters)' })
  // An account stored under the old key form is the same identity, which the unique index cannot see.
  const legacy = legacyEmailKey(email)
  if (legacy !== key && await store.findUserByEmail(legacy) !== null) throw new AuthError('AUTH_EMAIL_TAKEN')
  return store.createUser({
    id: randomUUID(), email, emailNormalized: key, passwordHash: await hashPassword(input.password), roles: [...roles]
  })
}
