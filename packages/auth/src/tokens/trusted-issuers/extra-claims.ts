// The top-level claims of a verified external token beyond those mapped into AccessClaims (`org_id`,
// `preferred_username`, `https://example.com/tenant`…), so the gateway's `headers.claims` and `headers.preset:
// oauth2-proxy` can forward them. Bounded, because the payload is the IdP's and the result lives in memory (the
// verified-token cache) and in headers: at most MAX_EXTRA_CLAIMS members of simple values, MAX_EXTRA_BYTES in all.
// Objects and nested arrays are dropped (headers.claims names top-level claims only), as are names that could
// reach an object's prototype or that authgate's own claims use (a token's `sid` must never name a session).
import { isIdentifier, isRoleList } from '../claims.js'

export const MAX_EXTRA_CLAIMS = 32
export const MAX_EXTRA_BYTES = 8192
const MAX_EXTRA_STRING = 1024
/** Printable ASCII without spaces, as claim names in headers.claims are spelled (gateway config/claim-headers.ts). */
const CLAIM_NAME = /^[\x21-\x7e]{1,256}$/
/** Never copied: prototype keys, and the members mapped or owned by authgate (set by the mapping, or absent). */
const SKIPPED = new Set(['__proto__', 'constructor', 'prototype', 'sub', 'sid', 'roles', 'iat', 'exp', 'nbf', 'iss', 'aud', 'jti', 'email', 'name'])

function simpleValue (value: unknown): { value: unknown, bytes: number } | undefined {
  if (typeof value === 'string') return value.length <= MAX_EXTRA_STRING && isIdentifier(value) ? { value, bytes: Buffer.byteLength(value) } : undefined
  if (typeof value === 'number') return Number.isFinite(value) ? { value, bytes: 16 } : undefined
  if (typeof value === 'boolean') return { value, bytes: 5 }
  if (isRoleList(value)) return { value: Object.freeze(value.slice()), bytes: value.reduce((sum, member) => sum + Buffer.byteLength(member) + 1, 0) }
  return undefined
}

/** The extra claims of `payload`, in its order, within the bounds; a claim that does not fit is skipped, not cut. */
export function extraClaims (payload: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let count = 0
  let bytes = 0
  for (const name of Object.keys(payload)) {
    if (count >= MAX_EXTRA_CLAIMS) break
    if (SKIPPED.has(name) || !CLAIM_NAME.test(name)) continue
    const kept = simpleValue(payload[name])
    if (kept === undefined || bytes + Buffer.byteLength(name) + kept.bytes > MAX_EXTRA_BYTES) continue
    // defineProperty, not assignment: an own data property whatever the name, never a setter on the prototype.
    Object.defineProperty(out, name, { value: kept.value, enumerable: true, writable: true, configurable: true })
    count++
    bytes += Buffer.byteLength(name) + kept.bytes
  }
  return out
}
