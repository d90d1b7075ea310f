// Picks the configured key a token claims to be signed with, from its header, before any cryptography.
// The header is attacker-controlled: it may only *select* among configured keys (RFC 8725 §3.10), never supply one
// (`jku`, `jwk`, `x5u`, `x5c` are never read), and its `alg` must be the one that key was configured with.
import type { AccessAlgorithm } from './types.js'
import { isBase64UrlCode } from './base64url-alphabet.js'

export const ACCESS_TYP = 'at+jwt'
export const ASSERTION_TYP = 'authgate-assertion+jwt'

// Far larger than any header authgate signs; bounds the work done on a forged one.
const MAX_HEADER_SEGMENT = 1024
/** Non-empty base64url alphabet only; a scan (forged headers are attacker-chosen bytes, read before any crypto). */
function isBase64Url (segment: string): boolean {
  if (segment.length === 0) return false
  for (let index = 0; index < segment.length; index++) if (!isBase64UrlCode(segment.charCodeAt(index))) return false
  return true
}
// Invalid UTF-8 is a malformed token, not text to repair with U+FFFD.
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true })

export interface KeySlot {
  kid: string
  algorithm: AccessAlgorithm
}

/** The header segment authgate's signer emits for a key (fast-jwt writes `alg`, `typ`, `kid`, in that order). */
export function canonicalHeaderSegment (slot: KeySlot, typ: string): string {
  return Buffer.from(JSON.stringify({ alg: slot.algorithm, typ, kid: slot.kid }), 'utf8').toString('base64url')
}

/**
 * The bytes of a canonical base64url segment, or undefined. Buffer.from is lenient (it skips stray characters and
 * ignores the spare bits of the last character), which would let one token be spelled several ways: refuse any
 * spelling but the one that re-encodes to itself.
 */
export function canonicalBytes (segment: string): Buffer | undefined {
  if (!isBase64Url(segment)) return undefined
  const bytes = Buffer.from(segment, 'base64url')
  return bytes.toString('base64url') === segment ? bytes : undefined
}

/** Decodes one base64url JSON segment strictly into a plain object, or undefined. */
export function decodeJsonObject (segment: string): Record<string, unknown> | undefined {
  const bytes = canonicalBytes(segment)
  if (bytes === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(STRICT_UTF8.decode(bytes))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  return value as Record<string, unknown>
}

/**
 * What a well-formed access-token header naming a kid none of the configured keys has selects: a key of ours that
 * was dropped, or one this instance has not read yet. verify.ts answers it 401, or 503 (docs/design.md#keys: an outage,
 * not a logout) while the key set may lack a key that signs. Only a header that is otherwise exactly ours qualifies
 * (configured `alg`, `typ: at+jwt`, a kid in the shape authgate's kids have, and the very bytes authgate's signer
 * emits); anything else is always an invalid token (docs/security.md A.12: injection-shaped kids → 401).
 */
export const UNKNOWN_KID = Symbol('authgate.unknownKid')
const KID_SHAPE = /^[A-Za-z0-9._~:-]{1,128}$/

/**
 * Returns `(headerSegment) => slot | UNKNOWN_KID | undefined`. Headers authgate itself signs are recognised by an
 * exact string match (no decoding on the hot path); any other header is parsed strictly and checked.
 */
export function createKeySelector<T extends KeySlot> (slots: readonly T[]): (headerSegment: string) => T | typeof UNKNOWN_KID | undefined {
  const byKid = new Map<string, T>()
  const canonical = new Map<string, T>()
  const algorithms = new Set<string>()
  for (const slot of slots) {
    byKid.set(slot.kid, slot)
    algorithms.add(slot.algorithm)
    canonical.set(canonicalHeaderSegment(slot, ACCESS_TYP), slot)
  }

  return function selectKey (headerSegment) {
    const known = canonical.get(headerSegment)
    if (known !== undefined) return known
    if (headerSegment.length > MAX_HEADER_SEGMENT) return undefined
    const header = decodeJsonObject(headerSegment)
    if (header === undefined) return undefined
    // No extension is understood, so any `crit` fails (RFC 7515 §4.1.11); `b64: false` (RFC 7797) would change what
    // the signature covers.
    if (Object.hasOwn(header, 'crit') || Object.hasOwn(header, 'b64')) return undefined
    const { kid, alg } = header
    if (typeof kid !== 'string') return undefined
    const slot = byKid.get(kid)
    if (slot === undefined) {
      // Exactly the bytes authgate's signer would emit for such a key (no extra or duplicate members).
      const ours = typeof alg === 'string' && algorithms.has(alg) && KID_SHAPE.test(kid) &&
        canonicalHeaderSegment({ kid, algorithm: alg as AccessAlgorithm }, ACCESS_TYP) === headerSegment
      return ours ? UNKNOWN_KID : undefined
    }
    if (alg !== slot.algorithm) return undefined
    return slot
  }
}
