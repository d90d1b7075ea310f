// The audit trail's rows as stores keep them (audit/ writes and reads them; the stores only hold them). A row holds
// ids, addresses, classifications and a small `details` object: never a token, a token hash, a password or a cookie
// value (audit/mapping.ts decides what each event contributes, field by field).

/** A detail's value: flat and small, so a row stays a few hundred bytes whatever the event. */
export type AuditDetail = string | number | boolean | null

export interface AuditRecord {
  /** Random, unique: with `at`, the total order of the trail (newest first: `at`, then `id`, both descending). */
  id: string
  /** `login`, `loginFailed`, `logout`, `logoutAll`, `refreshReuse`, `newDevice`, `newIp`, `keyRotation`, … */
  type: string
  at: Date
  /** The user the row is about, when there is one (a failed login for an unknown email has none). */
  userId: string | null
  /** Who acted, when not the user themself (an administrator; the CLI for key rotations). */
  actor: string | null
  ip: string
  /** Truncated (MAX_AUDIT_USER_AGENT). */
  userAgent: string
  details: Record<string, AuditDetail>
  /** `at` plus audit.retention: the TTL index removes the row; every read filters on it too. */
  expiresAt: Date
}

/** One page of the trail: newest first, only rows after `after` in that order. */
export interface AuditListQuery {
  userId?: string
  type?: string
  after?: { at: Date, id: string }
  limit: number
  /** Rows whose `expiresAt` is not after this are past retention: never returned, whether or not they are gone. */
  now: Date
  /**
   * Rows whose `at` is not after this are past the retention now in force (it may be shorter than the one their
   * `expiresAt` was written with): never returned either, so lowering audit.retention takes effect at once.
   */
  since?: Date
}

/** The optional audit capability of a SessionStore (stores/store.ts). */
export interface AuditCapable {
  /** Appends rows (a batch; ids are unique). A failure may have stored some of them: rows are facts, not retried. */
  insertAudit (rows: AuditRecord[]): Promise<void>
  /** The rows matching the query, newest first (`at`, then `id`, both descending), at most `limit`. */
  listAudit (query: AuditListQuery): Promise<AuditRecord[]>
}

/** Array.sort comparator of the trail's order: newest first, ties by id descending. */
export function auditNewestFirst (a: Pick<AuditRecord, 'at' | 'id'>, b: Pick<AuditRecord, 'at' | 'id'>): number {
  return b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/** Whether `row` matches `query`'s filters and position (not its limit). */
export function auditMatches (row: AuditRecord, query: AuditListQuery): boolean {
  if (row.expiresAt <= query.now) return false
  if (query.since !== undefined && row.at <= query.since) return false
  if (query.userId !== undefined && row.userId !== query.userId) return false
  if (query.type !== undefined && row.type !== query.type) return false
  return query.after === undefined || auditNewestFirst({ at: query.after.at, id: query.after.id }, row) < 0
}

export function copyAuditRecord (row: AuditRecord): AuditRecord {
  return { ...row, at: new Date(row.at.getTime()), expiresAt: new Date(row.expiresAt.getTime()), details: { ...row.details } }
}
