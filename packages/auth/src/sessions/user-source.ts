// What a user source outside the store (`verifyCredentials`, `refreshUser`) may answer, checked in one place: the
// functions may come from plain JavaScript and resolve anything. A malformed user is a broken source (503), like a
// source that does not answer, never a 500 and never a user with an identity that tokens would refuse.
import { AuthError } from '../errors.js'
import { isIdentifier, isRoleList } from '../tokens/claims.js'
import type { VerifiedUser } from '../users/types.js'
import type { SessionUser } from './service.js'
import { presentEmail } from '../stores/user-email.js'

/** The user `answer` names; null for "no such user / wrong credentials"; AuthError 503 when it is malformed. */
export function readSourceUser (answer: unknown, source: string): SessionUser | null {
  if (answer === null || answer === undefined || answer === false) return null
  const { id, email, roles = [] } = answer as Partial<VerifiedUser>
  if (!isIdentifier(id) || !isRoleList(roles) || (email !== undefined && typeof email !== 'string')) {
    throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: new Error(`${source} resolved an invalid user`), retryAfter: 5 })
  }
  return { id, email: presentEmail(email), roles: [...roles] }
}

/** Runs a user-source call: a rejection that is not an AuthError is an outage of the source (503). */
export async function askSource<T> (call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof AuthError) throw error
    throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: error, retryAfter: 5 })
  }
}
