// An audit entry made a stored row: a random id, the expiry of the retention, a bounded user agent.
import { randomBytes } from 'node:crypto'
import type { AuditRecord } from '../stores/audit-records.js'
import type { AuditEntry } from './mapping.js'

/** Enough to tell browsers apart; a longer header (up to the session's 512) adds nothing to an audit row. */
export const MAX_AUDIT_USER_AGENT = 256
const MAX_IP = 64

export function auditRecord (entry: AuditEntry, retentionMs: number): AuditRecord {
  return {
    // 16 random bytes: unique without coordination between instances; ties in `at` are ordered by it.
    id: randomBytes(16).toString('base64url'),
    type: entry.type,
    at: entry.at,
    userId: entry.userId,
    actor: entry.actor,
    ip: entry.ip.slice(0, MAX_IP),
    // eslint-disable-next-line no-control-regex -- control characters never reach a row shown to operators
    userAgent: entry.userAgent.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_AUDIT_USER_AGENT),
    details: entry.details,
    expiresAt: new Date(entry.at.getTime() + retentionMs)
  }
}
