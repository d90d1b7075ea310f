// `headers.claims` and `headers.preset`: verified claims forwarded as request headers (issue #14 item 4), on proxied
// requests and in /auth/verify answers. `claims: { x-user-email: email }` names the header and the (top-level) claim;
// `preset: oauth2-proxy` adds the X-Auth-Request-* headers upstreams written against oauth2-proxy read. Every name
// here is dropped from client requests and upstream responses like the identity headers (headers.ts).
import { FORWARDING, HOP_BY_HOP, REQUEST_ONLY, headerKey } from '../untrusted-headers.js'
import type { Reader } from './reader.js'
import type { ClaimHeader, IdentityHeaderNames } from './types.js'

const HEADER_NAME = /^[a-z0-9-]{1,64}$/
/** A claim name as JWTs spell them (`email`, `org_id`, `https://example.com/tenant`): printable ASCII, no spaces. */
const CLAIM_NAME = /^[\x21-\x7e]{1,256}$/
/** Headers a request needs to be itself or that carry credentials: never set from a claim. */
const RESERVED = new Set<string>(['host', 'content-length', 'content-type', 'content-encoding', 'authorization', 'cookie', 'set-cookie', ...HOP_BY_HOP, ...FORWARDING, ...REQUEST_ONLY])

/** oauth2-proxy's `--set-xauthrequest` headers, from the claims authgate verifies. */
export const OAUTH2_PROXY_PRESET: readonly ClaimHeader[] = Object.freeze([
  { name: 'x-auth-request-user', claim: 'sub', list: false },
  { name: 'x-auth-request-email', claim: 'email', list: false },
  { name: 'x-auth-request-groups', claim: 'roles', list: true },
  { name: 'x-auth-request-preferred-username', claim: 'preferred_username', list: false }
].map((entry) => Object.freeze(entry)))

/** Claims that are lists (forwarded comma-joined); any other claim is single-valued. */
const LIST_CLAIMS = new Set(['roles', 'groups', 'scp', 'amr'])

export function readClaimHeaders (reader: Reader, value: unknown, identity: IdentityHeaderNames): readonly ClaimHeader[] {
  const headers = value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : {}
  const out: ClaimHeader[] = []
  const preset = headers.preset
  if (preset !== undefined && preset !== null) {
    reader.oneOf(preset, 'headers.preset', ['oauth2-proxy'] as const, 'oauth2-proxy')
    out.push(...OAUTH2_PROXY_PRESET)
  }
  const claims = reader.object(headers.claims, 'headers.claims', Object.keys(headers.claims ?? {}))
  const identityNames = new Set<string>(Object.values(identity))
  for (const [rawName, claimValue] of Object.entries(claims)) {
    const path = `headers.claims.${rawName}`
    const name = headerKey(rawName)
    if (!HEADER_NAME.test(name)) reader.fail(path, 'must be keyed by a header name (letters, digits, dashes)')
    if (RESERVED.has(name)) reader.fail(path, `cannot set ${name}: the gateway owns that header`)
    if (identityNames.has(name)) reader.fail(path, `${name} is already an identity header (headers.userId/roles/sessionId/assertion)`)
    if (out.some((entry) => entry.name === name)) reader.fail(path, `${name} is named twice (or by headers.preset)`)
    const claim = reader.string(claimValue, path)
    if (!CLAIM_NAME.test(claim)) reader.fail(path, 'must name a claim (printable ASCII, no spaces)')
    if (claim === '__proto__' || claim === 'constructor' || claim === 'prototype') reader.fail(path, `cannot read the claim ${claim}`)
    out.push(Object.freeze({ name, claim, list: LIST_CLAIMS.has(claim) }))
  }
  return Object.freeze(out)
}
