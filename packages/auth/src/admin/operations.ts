// What an admin can do to a user, shared by the admin API (http/routes/admin.ts) and the gateway CLI (`authgate user
// disable|enable|delete|set-roles|set-password|revoke-sessions`): one implementation of each action, each returning
// the `adminAction` record (events.ts) of what it did, so the HTTP API and the CLI (actor `cli`) report alike.
import { AuthError } from '../errors.js'
import type { AdminAction, AdminActionEvent, AdminChanges } from '../events.js'
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../users/passwords.js'
import { hasOidcStore } from '../stores/oidc.js'
import type { SessionStore, UserRecord } from '../stores/store.js'
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
  /**
   * Removes the user's links to OIDC identities (OidcStore.unlinkUser) when OIDC is configured: a link left behind
   * would make a new account at that identity's next sign-in rather than fail.
   */
  unlinkIdentities?: ((userId: string) => Promise<number>) | undefined
  /**
   * Told the `adminAction` record of every action, and of the part already done of one that failed halfway (marked
   * `incomplete`): a revocation that happened is never left out of the record because a later step failed.
   */
  report: (event: AdminActionEvent) => void
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

/**
 * AdminTarget.unlinkIdentities for a store that keeps OIDC identities (whether or not OIDC is configured now: links
 * made while it was stay behind), else undefined.
 */
export function identityUnlinker (store: SessionStore): AdminTarget['unlinkIdentities'] {
  if (!hasOidcStore(store)) return undefined
  const identities = store.oidcStore()
  return (userId) => identities.unlinkUser(userId)
}

/** Runs the steps of `event`'s action (they fill in its changes) and reports it, also when a step fails after others. */
async function reported<T> (target: AdminTarget, event: AdminActionEvent, steps: () => Promise<T>): Promise<T> {
  let result: T
  try {
    result = await steps()
  } catch (error) {
    if (Object.keys(event.changes).length > 0) target.report({ ...event, changes: { ...event.changes, incomplete: true } })
    throw error
  }
  target.report(event)
  return result
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
  const event = adminActionEvent(actor, 'user.update', id, {}, now)
  const { changes } = event
  const roles = update.roles === undefined ? undefined : [...new Set(update.roles)]
  const wasDisabled = user.disabled === true
  await reported(target, event, async () => {
    if (roles !== undefined && !sameRoles(roles, user.roles)) {
      if (!await target.store.setUserRoles(id, roles)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
      changes.roles = { from: [...user.roles], to: roles }
    }
    if (update.disabled !== undefined && update.disabled !== wasDisabled) {
      // Written before the revocation, so a session that outlives it cannot be refreshed (sessions/service.ts
      // refuses a disabled user's refresh) and a login racing it revokes its own session when it re-reads the user
      // after issuing it (sessions/service.ts confirmIssued).
      if (!await target.store.setUserDisabled(id, update.disabled, now)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
      changes.disabled = { from: wasDisabled, to: update.disabled }
    }
    // Every disable revokes, even of a user already disabled: a disable retried after its revocation failed must
    // still end the sessions (revoking is idempotent).
    if (update.disabled === true) changes.revokedSessionIds = await target.revokeSessions(id)
  })
  const after = await target.store.findUserById(id) ?? { ...user, ...(roles === undefined ? {} : { roles }), disabled: update.disabled ?? wasDisabled }
  return { user: after, event }
}

function sameRoles (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role))
}

/**
 * Revokes the user's sessions, removes their OIDC links, then the user with their device and network records. The
 * user goes last: a delete that failed halfway still finds the user when retried, and finishes.
 */
export async function deleteUser (target: AdminTarget, actor: AdminActor, id: string, check?: AdminCheck): Promise<AdminActionEvent> {
  const user = await targetOf(target, id)
  check?.(user)
  const event = adminActionEvent(actor, 'user.delete', id, {}, new Date())
  await reported(target, event, async () => {
    event.changes.revokedSessionIds = await target.revokeSessions(id)
    await target.unlinkIdentities?.(id)
    if (!await target.store.deleteUser(id)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
  })
  return event
}

/** Ends every session of the user (refresh at once, access tokens within the revocation delay). */
export async function revokeUserSessions (target: AdminTarget, actor: AdminActor, id: string, check?: AdminCheck): Promise<AdminActionEvent> {
  const user = await targetOf(target, id)
  check?.(user)
  const event = adminActionEvent(actor, 'sessions.revoke', id, {}, new Date())
  await reported(target, event, async () => { event.changes.revokedSessionIds = await target.revokeSessions(id) })
  return event
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
  const passwordHash = await hashPassword(password)
  const now = new Date()
  const event = adminActionEvent(actor, 'user.password', id, {}, now)
  await reported(target, event, async () => {
    if (!await target.store.setUserPassword(id, passwordHash, now)) throw new AuthError('AUTH_NOT_FOUND', { message: 'No such user' })
    event.changes.password = true
    event.changes.revokedSessionIds = await target.revokeSessions(id)
  })
  return event
}
