// What an admin can do to a user, shared by the admin API (admin/routes.ts) and the gateway CLI (`authgate user
// disable|enable|delete|set-roles|set-password|revoke-sessions`): one implementation of each action, each returning
// the `adminAction` record (events.ts) of what it did, so the HTTP API and the CLI (actor `cli`) report alike.
import { AuthError } from '../errors.js'
import type { AdminAction, AdminActionEvent, AdminChanges } from '../events.js'
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../passwords.js'
import type { UserRecord } from '../stores/store.js'
import { isRoleList } from '../tokens/claims.js'
import type { AdminStore } from './store-support.js'

/** The actor id the gateway CLI acts as. */
export const CLI_ACTOR = 'cli'

export interface AdminTarget {
  store: AdminStore
  /**
   * Revokes every session of the user and returns the ids. The plugin's also tells this instance's revocation list at
   * once (sessions/service.ts revokeAll); the CLI's writes the store only (running instances learn it at their next
   * poll, within tokens.revocationDelay).
   */
  revokeSessions: (userId: string) => Promise<string[]>
}

export interface AdminActor {
  /** The admin's user id, or CLI_ACTOR. */
  id: string
  /** The admin's address; null from the command line. */
  ip: string | null
}

/** Refuses the change before anything is written (the admin API's escalation and self-lockout rules). */
export type AdminCheck = (target: UserRecord) => void

/** The `adminAction` record of an action; exported for callers that act on the store another way. */
export function adminActionEvent (actor: AdminActor, action: AdminAction, targetUserId: string, changes: AdminChanges, at = new Date()): AdminActionEvent {
  return { actorId: actor.id, action, targetUserId, changes, ip: actor.ip, at }
}

/** The user as the admin API and CLI show them: never a password hash. */
export interface PublicUser {
  id: string
  email: string
  roles: string[]
  disabled: boolean
  createdAt: string
  updatedAt: string
}

export function publicUser (user: UserRecord): PublicUser {
  return {
    id: user.id,
    email: user.email,
    roles: [...user.roles],
    disabled: user.disabled === true,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString()
  }
}

async function targetOf (target: AdminTarget, id: string): Promise<UserRecord> {
  const user = await target.store.findUserById(id)
  if (user === null) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
  return user
}

export interface UserUpdate { roles?: string[], disabled?: boolean }

/**
 * Changes roles and/or `disabled`. Disabling revokes every session of the user (their access tokens die within the
 * revocation delay); new roles reach access tokens at the next refresh. Rejects AUTH_NOT_FOUND for an unknown id.
 */
export async function updateUser (target: AdminTarget, actor: AdminActor, id: string, update: UserUpdate, check?: AdminCheck): Promise<{ user: UserRecord, event: AdminActionEvent }> {
  if (update.roles !== undefined && !isRoleList(update.roles)) throw new AuthError('AUTH_BAD_REQUEST', { message: 'roles must be role names (no commas or control characters)' })
  const user = await targetOf(target, id)
  check?.(user)
  const now = new Date()
  const changes: AdminChanges = {}
  const roles = update.roles === undefined ? undefined : [...new Set(update.roles)]
  if (roles !== undefined && !sameRoles(roles, user.roles)) {
    if (!await target.store.setUserRoles(id, roles)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
    changes.roles = { from: [...user.roles], to: roles }
  }
  const wasDisabled = user.disabled === true
  if (update.disabled !== undefined && update.disabled !== wasDisabled) {
    // Written before the revocation: a login racing it then finds the user disabled, or its session is revoked.
    if (!await target.store.setUserDisabled(id, update.disabled, now)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
    changes.disabled = { from: wasDisabled, to: update.disabled }
    if (update.disabled) changes.revokedSessionIds = await target.revokeSessions(id)
  }
  const after = await target.store.findUserById(id) ?? { ...user, ...(roles === undefined ? {} : { roles }), disabled: update.disabled ?? wasDisabled }
  return { user: after, event: adminActionEvent(actor, 'user.update', id, changes, now) }
}

function sameRoles (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role))
}

/** Revokes the user's sessions, then removes the user and their device and network records. */
export async function deleteUser (target: AdminTarget, actor: AdminActor, id: string, check?: AdminCheck): Promise<AdminActionEvent> {
  const user = await targetOf(target, id)
  check?.(user)
  const now = new Date()
  const revokedSessionIds = await target.revokeSessions(id)
  if (!await target.store.deleteUser(id)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
  return adminActionEvent(actor, 'user.delete', id, { revokedSessionIds }, now)
}

/** Ends every session of the user (refresh at once, access tokens within the revocation delay). */
export async function revokeUserSessions (target: AdminTarget, actor: AdminActor, id: string, check?: AdminCheck): Promise<AdminActionEvent> {
  const user = await targetOf(target, id)
  check?.(user)
  const now = new Date()
  return adminActionEvent(actor, 'sessions.revoke', id, { revokedSessionIds: await target.revokeSessions(id) }, now)
}

/**
 * Replaces the user's password (addUser's length rule) and ends every session of theirs: a password an admin
 * resets is presumed known to someone else.
 */
export async function setUserPassword (target: AdminTarget, actor: AdminActor, id: string, password: string): Promise<AdminActionEvent> {
  const length = Array.from(password.normalize('NFC')).length
  if (length < MIN_PASSWORD_LENGTH || length > MAX_PASSWORD_LENGTH) {
    throw new AuthError('AUTH_BAD_REQUEST', { message: `password must hold ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` })
  }
  await targetOf(target, id)
  const now = new Date()
  if (!await target.store.setUserPassword(id, await hashPassword(password), now)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
  return adminActionEvent(actor, 'user.password', id, { password: true, revokedSessionIds: await target.revokeSessions(id) }, now)
}
