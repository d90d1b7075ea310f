// Paging of `GET /auth/sessions`: the answer stays the array of docs/design.md#http-contract, the position of the next
// page travels in `X-Next-Cursor` (and a `Link: <…>; rel="next"`). A cursor is the position of the last session listed
// (createdAt, id), base64url-encoded: opaque to clients, checked strictly when it comes back, and only ever compared
// against the caller's own sessions (it grants nothing by itself).
import type { SessionPage } from '../stores/store.js'

/**
 * Without `limit` the whole list is answered, up to the cap it always had (1000), so clients written before paging
 * see no change; beyond it `X-Next-Cursor` is set all the same. `limit` asks for pages of at most MAX_SESSIONS_PAGE.
 */
export const UNPAGED_SESSIONS_LIMIT = 1000
export const MAX_SESSIONS_PAGE = 100
/** A cursor is at most `<15 digits>.<64-character id>`, base64url: far below this. */
export const MAX_CURSOR_LENGTH = 128

const POSITION = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/

export function encodeCursor (position: { createdAt: Date, id: string }): string {
  return Buffer.from(`${position.createdAt.getTime()}.${position.id}`, 'utf8').toString('base64url')
}

/** The position a cursor names, or undefined when it is not one this server wrote. */
export function decodeCursor (cursor: string): SessionPage['after'] {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  const match = POSITION.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  if (match === null) return undefined
  return { createdAt: new Date(Number(match[1])), id: match[2] ?? '' }
}
