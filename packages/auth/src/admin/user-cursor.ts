// The position of a page of the admin user list: the last user listed (createdAt, id), base64url-encoded JSON.
// Opaque to clients and checked strictly when it comes back (anything else is a 400, never a 500); it grants nothing
// by itself, the caller is an admin either way.
import type { UserPage } from '../stores/store.js'

export const MAX_USER_CURSOR_LENGTH = 512
const MAX_ID_LENGTH = 256

export function encodeUserCursor (position: { createdAt: Date, id: string }): string {
  return Buffer.from(JSON.stringify([position.createdAt.getTime(), position.id]), 'utf8').toString('base64url')
}

/** The position a cursor names, or undefined when it is not one this server wrote. */
export function decodeUserCursor (cursor: string): UserPage['after'] {
  if (cursor.length > MAX_USER_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined
  const [ms, id] = value as [unknown, unknown]
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return undefined
  return { createdAt: new Date(ms), id }
}
