// What a user source answers: the user a login or a refresh resolves to, and the two hooks that replace the built-in
// users collection (`verifyCredentials`, `refreshUser`).
import type { FastifyRequest } from 'fastify'

/** A user as `verifyCredentials` and `refreshUser` answer it: an id, and the email and roles tokens carry. */
export interface VerifiedUser {
  id: string
  email?: string
  roles?: string[]
}

/**
 * Replaces the built-in users collection (e.g. a legacy login). Resolve the user, or null for wrong credentials;
 * throw AuthError AUTH_STORE_UNAVAILABLE (or anything else: also a 503) when the user source cannot answer.
 */
export type VerifyCredentials = (email: string, password: string, request: FastifyRequest) => Promise<VerifiedUser | null>

/** What `refreshUser` is told about the session being refreshed. */
export interface RefreshUserSession {
  id: string
  userId: string
  email: string | null
  /** The roles the session was created with at login (later refreshUser answers are not stored in the session). */
  roles: string[]
  createdAt: Date
}

/**
 * With `verifyCredentials`: asks the user source again, at refresh, who the user is now. Resolve the current user
 * (same id; its roles reach the new access token), or null when the source no longer knows the user: every session
 * of the user is then revoked and the refresh answers 401. Throw AuthError AUTH_STORE_UNAVAILABLE (or anything
 * else: also a 503, the session is kept) when the source cannot answer.
 */
export type RefreshUser = (userId: string, session: RefreshUserSession) => Promise<VerifiedUser | null>
