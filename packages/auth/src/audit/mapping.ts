// What each event writes to the audit trail: one entry per event type, field by field. Nothing is copied wholesale
// from an event, so a field added to an event later (a token, a hash) cannot reach the trail unless a line here names
// it. Recording one more event type is one line in AUDIT_MAPPINGS.
import type { AuthgateEventMap, AuthgateEventName } from '../events.js'
import type { AuditDetail } from '../stores/audit-records.js'

/** A row before the writer gives it an id, an expiry and its bounded user agent. */
export interface AuditEntry {
  type: string
  at: Date
  userId: string | null
  actor: string | null
  ip: string
  userAgent: string
  details: Record<string, AuditDetail>
}

type Mapping<K extends AuthgateEventName> = (event: AuthgateEventMap[K]) => AuditEntry
export type AuditMappings = { [K in AuthgateEventName]?: Mapping<K> }

/** The common fields of an event by the user themself. */
function byUser (type: string, event: { userId: string | null, ip: string, userAgent?: string, at: Date }, details: Record<string, AuditDetail>): AuditEntry {
  return { type, at: event.at, userId: event.userId, actor: null, ip: event.ip, userAgent: event.userAgent ?? '', details }
}

const LOGOUT_TYPES = { logout: 'logout', 'logout-all': 'logoutAll', 'revoke-session': 'sessionRevoked', 'revoke-others': 'otherSessionsRevoked' } as const

/*
 * Merge-time mappings: the events below arrive with their features (password change/reset, email verification, the
 * admin API). Each is ready: add its event to AuthgateEventMap (events.ts), then move its line into AUDIT_MAPPINGS and
 * its type name into AUDIT_TYPES. The shapes this expects (the features must emit them so, or adapt one line here):
 *
 *   passwordChanged: { userId: string, via: 'change' | 'reset' | 'admin' | 'cli', ip: string, userAgent: string, at: Date }
 *   emailVerified:   { userId: string, ip: string, at: Date }
 *   adminAction:     { actorId: string, action: string, targetUserId: string,
 *                      changes: { roles?: string[], disabled?: boolean }, ip: string, at: Date }
 *
 *   passwordChanged: (e) => passwordChangedEntry(e),
 *   emailVerified: (e) => emailVerifiedEntry(e),
 *   adminAction: (e) => adminActionEntry(e),
 *
 * adminAction names its fields (action, roles joined, disabled): never `changes` as a whole, so a password or hash an
 * admin request carried (set-password) cannot reach the trail however the event grows.
 */
export interface PasswordChangedShape { userId: string, via: string, ip: string, userAgent?: string, at: Date }
export interface EmailVerifiedShape { userId: string, ip: string, userAgent?: string, at: Date }
export interface AdminActionShape {
  actorId: string
  action: string
  targetUserId: string
  changes: { roles?: readonly string[], disabled?: boolean }
  ip: string
  userAgent?: string
  at: Date
}

/** Roles in a row: joined, bounded (a role list is short; a row must stay small whatever it holds). */
const MAX_ROLES_DETAIL = 512

export function passwordChangedEntry (e: PasswordChangedShape): AuditEntry {
  return byUser('passwordChanged', e, { via: e.via })
}

export function emailVerifiedEntry (e: EmailVerifiedShape): AuditEntry {
  return byUser('emailVerified', e, {})
}

export function adminActionEntry (e: AdminActionShape): AuditEntry {
  const { roles, disabled } = e.changes
  return {
    ...byUser('adminAction', { ...e, userId: e.targetUserId }, {
      action: e.action,
      roles: Array.isArray(roles) ? roles.join(',').slice(0, MAX_ROLES_DETAIL) : null,
      disabled: typeof disabled === 'boolean' ? disabled : null
    }),
    actor: e.actorId
  }
}

/** Event → row (the merge-time ones are above: one line each). */
export const AUDIT_MAPPINGS: AuditMappings = {
  login: (e) => byUser('login', e, { sessionId: e.sessionId, deviceId: e.deviceId }),
  loginFailed: (e) => byUser('loginFailed', e, { reason: e.reason }),
  logout: (e) => byUser(LOGOUT_TYPES[e.reason], e, { sessions: e.sessionIds.length, sessionId: e.sessionIds.length === 1 ? e.sessionIds[0] ?? null : null, issuer: e.issuer ?? null }),
  refreshReuse: (e) => byUser('refreshReuse', e, {
    classification: e.classification, sessionId: e.sessionId, sinceRotationMs: e.sinceRotationMs,
    ipChanged: e.ipChanged, userAgentChanged: e.userAgentChanged, revoked: e.revoked
  }),
  newDevice: (e) => byUser('newDevice', e, { sessionId: e.sessionId, deviceId: e.deviceId }),
  newIp: (e) => byUser('newIp', e, { sessionId: e.sessionId, previousIp: e.previousIp, network: e.network, via: e.via })
}

/** Row types the plugin writes (the query API accepts any type name; these are documented). */
export const AUDIT_TYPES = [
  'login', 'loginFailed', 'logout', 'logoutAll', 'sessionRevoked', 'otherSessionsRevoked', 'refreshReuse', 'newDevice', 'newIp', 'keyRotation'
] as const
