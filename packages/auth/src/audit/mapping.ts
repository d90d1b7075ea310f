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

/**
 * Event → row. Merge-time slots (the events arrive with their features; each is one line):
 *   passwordChanged: (e) => byUser('passwordChanged', e, { via: e.via }),
 *   emailVerified: (e) => byUser('emailVerified', e, {}),
 *   adminAction: (e) => ({ ...byUser('adminAction', { ...e, userId: e.targetUserId }, { action: e.action, changes: JSON.stringify(e.changes).slice(0, 512) }), actor: e.actorId }),
 */
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
