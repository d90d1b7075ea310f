// Who may change what through the admin API (docs/design.md, HTTP contract: Admin API). Pure functions: the routes read the acting
// admin and the target from the store and ask these before anything is written.
//
// - Escalation: an admin may grant or remove a role only when it is in their grantable set: every role outside
//   admin.roles (only those of `admin.grantableRoles` when that is configured), plus the admin.roles roles the acting
//   admin holds — read from the store, not the token. An admin role the actor does not hold is never grantable,
//   whatever grantableRoles says: an admin can never hand out (or take away) more power than their own.
// - Rank: an admin may disable, delete, change or end the sessions of another user only when that user's admin roles
//   are a subset of the actor's (with admin.roles [admin, superadmin], an `admin` cannot take down a `superadmin`).
//   Both refused with 403 AUTH_ADMIN_ESCALATION.
// - Self-lockout: an admin cannot disable or delete themselves, nor take away their last admin role. Refused with 409
//   AUTH_ADMIN_SELF_LOCKOUT (the request is allowed, it conflicts with the caller's own standing).
import { AuthError } from '../errors.js'

export interface AdminRules {
  /** admin.roles */
  adminRoles: readonly string[]
  /** admin.grantableRoles: the non-admin roles an admin may grant; undefined: every non-admin role. */
  grantableRoles: readonly string[] | undefined
}

export interface RoleHolder { id: string, roles: readonly string[] }

export type AdminChange =
  | { kind: 'update', roles?: readonly string[], disabled?: boolean }
  | { kind: 'delete' }
  | { kind: 'revoke-sessions' }

export function holdsAdminRole (roles: readonly string[], rules: AdminRules): boolean {
  return roles.some((role) => rules.adminRoles.includes(role))
}

function isAdminRole (role: string, rules: AdminRules): boolean {
  return rules.adminRoles.includes(role)
}

function mayGrant (role: string, actor: RoleHolder, rules: AdminRules): boolean {
  if (isAdminRole(role, rules)) return actor.roles.includes(role)
  return rules.grantableRoles === undefined || rules.grantableRoles.includes(role)
}

/** Throws AuthError when `actor` may not make `change` to `target`. */
export function checkAdminChange (actor: RoleHolder, target: RoleHolder, change: AdminChange, rules: AdminRules): void {
  const self = actor.id === target.id
  if (self) {
    const locksOut = change.kind === 'delete' ||
      (change.kind === 'update' && (change.disabled === true || (change.roles !== undefined && !holdsAdminRole(change.roles, rules))))
    if (locksOut) throw new AuthError('AUTH_ADMIN_SELF_LOCKOUT')
  }
  // Acting on oneself needs no rank over oneself; on another user it does.
  if (!self && !target.roles.every((role) => !isAdminRole(role, rules) || actor.roles.includes(role))) {
    throw new AuthError('AUTH_ADMIN_ESCALATION', { message: 'The user holds an admin role you do not hold: you may not act on them' })
  }
  if (change.kind === 'update' && change.roles !== undefined) {
    const next = new Set(change.roles)
    const touched = [...change.roles.filter((role) => !target.roles.includes(role)), ...target.roles.filter((role) => !next.has(role))]
    const refused = touched.find((role) => !mayGrant(role, actor, rules))
    if (refused !== undefined) throw new AuthError('AUTH_ADMIN_ESCALATION', { message: `You may not grant or remove the role ${JSON.stringify(refused)}` })
  }
}
