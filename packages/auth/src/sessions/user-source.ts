// What a user source outside the store (`verifyCredentials`, `refreshUser`) may answer, checked in one place: the
// functions may come from plain JavaScript and resolve anything. A malformed user is a broken source (503), like a
// source that does not answer, never a 500 and never a user with an identity that tokens would refuse.
import { AuthError } from '../errors.js'
import { isIdentifier, isRoleList, MAX_ROLES } from '../tokens/claims.js'
import type { SessionUser } from './service.js'
import { presentEmail } from '../stores/user-email.js'

/**
 * What is wrong with `value` as a user (`{ id, email?, roles? }`), naming the field, or the user as a session keeps
 * it. One check for every way a user arrives from code: user-source hooks and `app.authgate.sessions.issue`.
 */
export function checkUserShape (value: unknown): SessionUser | string {
  if (typeof value !== 'object' || value === null) return 'user must be an object { id, email?, roles? }'
  const { id, email, roles = [] } = value as { id?: unknown, email?: unknown, roles?: unknown }
  if (!isIdentifier(id)) return 'user.id must be a string of 1 to 1024 characters without control characters'
  if (!isRoleList(roles)) return `user.roles must be an array of at most ${MAX_ROLES} role names (1 to 128 characters, no commas or control characters)`
  if (email !== undefined && typeof email !== 'string') return 'user.email must be a string'
  return { id, email: presentEmail(email), roles: [...roles] }
}

/** The user `answer` names; null for "no such user / wrong credentials"; AuthError 503 when it is malformed. */
export function readSourceUser (answer: unknown, source: string): SessionUser | null {
  if (answer === null || answer === undefined || answer === false) return null
  const user = checkUserShape(answer)
  if (typeof user === 'string') {
    throw new AuthError('AUTH_STORE_UNAVAILABLE', { cause: new Error(`${source} resolved an invalid user: ${user}`), retryAfter: 5 })
  }
  return user
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
