// Reading the trail (`GET /auth/admin/audit` calls this, behind the admin guard): by user and/or type, newest first,
// in pages named by an opaque cursor. The cursor is the position (at, id) of the last row of the previous page, the
// same scheme as the session list's (sessions/page-cursor.ts): a total order, so pages never skip or repeat a row.
import { AuthError } from '../errors.js'
import type { AuditCapable, AuditRecord } from '../stores/audit-records.js'

export const DEFAULT_AUDIT_PAGE = 50
export const MAX_AUDIT_PAGE = 200
/** `<15 digits>.<22-character id>` base64url is far below this. */
const MAX_CURSOR_LENGTH = 128
const POSITION = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/
/** Ids and type names as the plugin writes them; anything longer or stranger matches nothing and is refused. */
const MAX_FILTER_LENGTH = 256

export interface AuditQuery {
  userId?: string
  type?: string
  cursor?: string
  /** 1 to MAX_AUDIT_PAGE; default DEFAULT_AUDIT_PAGE. */
  limit?: number
}

/** A row as the query answers it (`expiresAt` is housekeeping, left out). */
export type AuditItem = Omit<AuditRecord, 'expiresAt'>

export interface AuditPage {
  items: AuditItem[]
  /** Names the next page; null on the last. */
  nextCursor: string | null
}

export function encodeAuditCursor (row: Pick<AuditRecord, 'at' | 'id'>): string {
  return Buffer.from(`${row.at.getTime()}.${row.id}`, 'utf8').toString('base64url')
}

/** The position a cursor names; AuthError 400 AUTH_BAD_REQUEST when it is not one this server wrote. */
export function decodeAuditCursor (cursor: string): { at: Date, id: string } {
  const match = cursor.length <= MAX_CURSOR_LENGTH && /^[A-Za-z0-9_-]+$/.test(cursor)
    ? POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
    : null
  if (match === null) throw new AuthError('AUTH_BAD_REQUEST', { message: 'cursor is not one this server wrote' })
  return { at: new Date(Number(match[1])), id: match[2] ?? '' }
}

function filterValue (value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FILTER_LENGTH) {
    throw new AuthError('AUTH_BAD_REQUEST', { message: `${name} must be a string of 1 to ${MAX_FILTER_LENGTH} characters` })
  }
  return value
}

/**
 * One page of the trail. Rejects with AuthError 400 on a bad cursor, limit or filter; 503 when the store cannot answer.
 * `retentionMs`: the retention in force. Rows older than it are left out even while their `expiresAt` (the retention
 * they were written with) is ahead, so lowering audit.retention hides them at once.
 */
export async function queryAudit (store: AuditCapable, query: AuditQuery, now = new Date(), retentionMs?: number): Promise<AuditPage> {
  const limit = query.limit ?? DEFAULT_AUDIT_PAGE
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) {
    throw new AuthError('AUTH_BAD_REQUEST', { message: `limit must be an integer from 1 to ${MAX_AUDIT_PAGE}` })
  }
  const userId = filterValue(query.userId, 'userId')
  const type = filterValue(query.type, 'type')
  const after = query.cursor === undefined ? undefined : decodeAuditCursor(query.cursor)
  // One row more than asked: whether a next page exists, without a count.
  const rows = await store.listAudit({ ...(userId === undefined ? {} : { userId }), ...(type === undefined ? {} : { type }), ...(after === undefined ? {} : { after }), ...(retentionMs === undefined ? {} : { since: new Date(now.getTime() - retentionMs) }), limit: limit + 1, now })
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    items: page.map(({ expiresAt: _expiresAt, ...item }) => item),
    nextCursor: rows.length > limit && last !== undefined ? encodeAuditCursor(last) : null
  }
}
