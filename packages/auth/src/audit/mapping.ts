// What each event writes to the audit trail: one entry per event type, field by field. Nothing is copied wholesale
// from an event, so a field added to an event later (a token, a hash) cannot reach the trail unless a line here names
// it. Recording one more event type is one line in AUDIT_MAPPINGS.
import type { AdminActionEvent, AuthgateEventMap, AuthgateEventName } from '../events.js'
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

/** Roles in a row: joined, bounded (a role list is short; a row must stay small whatever it holds). */
const MAX_ROLES_DETAIL = 512

/**
 * An admin's change (admin API, or `authgate user …` with actor `cli`): named fields only, never `changes` as a whole,
 * so nothing an admin request carried (a password) can reach the trail however the event grows. The password itself
 * is only ever said to have changed.
 */
export function adminActionEntry (e: AdminActionEvent): AuditEntry {
  const { roles, disabled, password, revokedSessionIds, incomplete } = e.changes
  return {
    type: 'adminAction',
    at: e.at,
    userId: e.targetUserId,
    actor: e.actorId,
    ip: e.ip ?? '',
    userAgent: '',
    details: {
      action: e.action,
      rolesFrom: roles === undefined ? null : roles.from.join(',').slice(0, MAX_ROLES_DETAIL),
      rolesTo: roles === undefined ? null : roles.to.join(',').slice(0, MAX_ROLES_DETAIL),
      disabled: disabled === undefined ? null : disabled.to,
      passwordChanged: password === true,
      sessionsRevoked: revokedSessionIds?.length ?? 0,
      incomplete: incomplete === true
    }
  }
}

/** Event → row: one line per event type. */
export const AUDIT_MAPPINGS: AuditMappings = {
  login: (e) => byUser('login', e, { sessionId: e.sessionId, deviceId: e.deviceId }),
  loginFailed: (e) => byUser('loginFailed', e, { reason: e.reason }),
  logout: (e) => byUser(LOGOUT_TYPES[e.reason], e, { sessions: e.sessionIds.length, sessionId: e.sessionIds.length === 1 ? e.sessionIds[0] ?? null : null, issuer: e.issuer ?? null }),
  refreshReuse: (e) => byUser('refreshReuse', e, {
    classification: e.classification, sessionId: e.sessionId, sinceRotationMs: e.sinceRotationMs,
    ipChanged: e.ipChanged, userAgentChanged: e.userAgentChanged, revoked: e.revoked
  }),
  newDevice: (e) => byUser('newDevice', e, { sessionId: e.sessionId, deviceId: e.deviceId }),
  newIp: (e) => byUser('newIp', e, { sessionId: e.sessionId, previousIp: e.previousIp, network: e.network, via: e.via }),
  passwordChanged: (e) => byUser('passwordChanged', e, { via: e.via }),
  emailVerified: (e) => byUser('emailVerified', e, {}),
  adminAction: adminActionEntry
}

/** Row types the plugin writes (the query API accepts any type name; these are documented). */
export const AUDIT_TYPES = [
  'login', 'loginFailed', 'logout', 'logoutAll', 'sessionRevoked', 'otherSessionsRevoked', 'refreshReuse', 'newDevice', 'newIp', 'keyRotation',
  'passwordChanged', 'emailVerified', 'adminAction'
] as const
