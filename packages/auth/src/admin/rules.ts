// Who may change what through the admin API (docs/design.md, HTTP contract: Admin API). Pure functions: the routes read the acting
// admin and the target from the store and ask these before anything is written.
//
// - Escalation: an admin may grant or remove only the roles in their grantable set — `admin.grantableRoles` when
//   configured, else the roles they hold themselves (read from the store, not the token) — and may disable, delete,
//   change or end the sessions of another admin only when every admin role (admin.roles) that admin holds is in that
//   set (with admin.roles [admin, superadmin], an `admin` cannot take down a `superadmin`). Refused with 403
//   AUTH_ADMIN_ESCALATION.
// - Self-lockout: an admin cannot disable or delete themselves, nor take away their last admin role. Refused with 409
//   AUTH_ADMIN_SELF_LOCKOUT (the request is allowed, it conflicts with the caller's own standing).
import { AuthError } from '../errors.js'

export interface AdminRules {
  /** admin.roles */
  adminRoles: readonly string[]
  /** admin.grantableRoles; undefined: the acting admin's own roles. */
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

function grantable (actor: RoleHolder, rules: AdminRules): ReadonlySet<string> {
  return new Set(rules.grantableRoles ?? actor.roles)
}

/** Throws AuthError when `actor` may not make `change` to `target`. */
export function checkAdminChange (actor: RoleHolder, target: RoleHolder, change: AdminChange, rules: AdminRules): void {
  const self = actor.id === target.id
  if (self) {
    const locksOut = change.kind === 'delete' ||
      (change.kind === 'update' && (change.disabled === true || (change.roles !== undefined && !holdsAdminRole(change.roles, rules))))
    if (locksOut) throw new AuthError('AUTH_ADMIN_SELF_LOCKOUT')
  }
  const allowed = grantable(actor, rules)
  // Acting on oneself needs no rank over oneself; on another admin it does.
  if (!self && !target.roles.every((role) => allowed.has(role) || !rules.adminRoles.includes(role))) {
    throw new AuthError('AUTH_ADMIN_ESCALATION', { message: 'The user holds an admin role you cannot grant: you may not act on them' })
  }
  if (change.kind === 'update' && change.roles !== undefined) {
    const next = new Set(change.roles)
    const touched = [...change.roles.filter((role) => !target.roles.includes(role)), ...target.roles.filter((role) => !next.has(role))]
    const refused = touched.find((role) => !allowed.has(role))
    if (refused !== undefined) throw new AuthError('AUTH_ADMIN_ESCALATION', { message: `You may not grant or remove the role ${JSON.stringify(refused)}` })
  }
}
