// What the gateway can forward as an identity header (x-user-id, x-user-roles) unchanged: printable ASCII. A value
// outside it cannot cross HTTP intact — beyond Latin-1 it cannot be written at all, CR/LF and other controls are
// header injection, a comma in an id reads as two joined header values, a comma in a role splits it, edge spaces
// are trimmed by every parser — and an over-long one trips the upstream's header limits. Such identities are
// refused where they come from (the legacy mapping, `authgate user add`, `authgate token`) with a clear error, and a
// token carrying one anyway is refused by the auth hook: never a 502 per request for a header of our own.

/** Longest user id forwarded (legacy ids longer than this are refused at login). */
export const MAX_FORWARDED_ID = 256
/** Longest role name. */
export const MAX_FORWARDED_ROLE = 128
/** Longest comma-joined roles header: well under Node's 16 KiB default for a whole request head. */
export const MAX_FORWARDED_ROLES = 4096

/** Printable ASCII without a comma; `space` allows inner spaces (ids), never at either end. */
function isPlainAscii (value: string, max: number, space: boolean): boolean {
  if (value.length === 0 || value.length > max) return false
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code === 0x2c || code > 0x7e || code < 0x20) return false
    if (code === 0x20 && (!space || index === 0 || index === value.length - 1)) return false
  }
  return true
}

// Plain booleans, not type guards: a string can fail them, and a guard's false branch would narrow it to never.
export function isForwardableId (value: unknown): boolean {
  return typeof value === 'string' && isPlainAscii(value, MAX_FORWARDED_ID, true)
}

export function isForwardableRole (value: unknown): boolean {
  return typeof value === 'string' && isPlainAscii(value, MAX_FORWARDED_ROLE, false)
}

/** Why `identity` cannot be forwarded, or undefined when every value can. */
export function unforwardableReason (identity: { readonly sub: string, readonly sid: string, readonly roles: readonly string[] }): string | undefined {
  if (!isForwardableId(identity.sub)) return 'user id'
  // '' is the session id of an external token (no authgate session): no header is sent for it.
  if (identity.sid !== '' && !isForwardableId(identity.sid)) return 'session id'
  let length = 0
  for (const role of identity.roles) {
    if (!isForwardableRole(role)) return 'role name'
    length += role.length + 1
  }
  return length - 1 > MAX_FORWARDED_ROLES ? 'roles (too long)' : undefined
}

/** Longest value of one `headers.claims` header (single-valued, or a whole comma-joined list). */
export const MAX_FORWARDED_CLAIM = 1024

/**
 * A verified claim as a header value (issue #14 item 4), or undefined when it cannot be one: the header is then not
 * set (the client's copy was dropped already), never a refusal of the request. Strings, finite numbers and booleans
 * are single-valued: printable ASCII, inner spaces allowed, no comma. A list claim (`list`) is comma-joined from
 * members that are each such a value without spaces; anything else (objects, nested lists, `null`) is never forwarded.
 */
export function forwardableClaimValue (value: unknown, list: boolean): string | undefined {
  if (typeof value === 'string') return isPlainAscii(value, list ? MAX_FORWARDED_ROLE : MAX_FORWARDED_CLAIM, !list) ? value : undefined
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (!list || !Array.isArray(value) || value.length === 0) return undefined
  let joined = ''
  for (const member of value) {
    if (!isForwardableRole(member)) return undefined
    joined = joined === '' ? member as string : `${joined},${member as string}`
    if (joined.length > MAX_FORWARDED_CLAIM) return undefined
  }
  return joined
}
