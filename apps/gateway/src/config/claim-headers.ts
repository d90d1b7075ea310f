// `headers.claims` and `headers.preset`: verified claims forwarded as request headers (issue #14 item 4), on proxied
// requests and in /auth/verify answers. `claims: { x-user-email: email }` names the header and the (top-level) claim;
// `preset: oauth2-proxy` adds the X-Auth-Request-* headers upstreams written against oauth2-proxy read. Every name
// here is dropped from client requests and upstream responses like the identity headers (headers.ts).
import { FORWARDING, HOP_BY_HOP, REQUEST_ONLY, headerKey } from '../untrusted-headers.js'
import type { HeadersInput } from './schema.js'
import type { ClaimHeader, IdentityHeaderNames, Report } from './types.js'

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

/** Why `claim` cannot be forwarded as the header `name`, or undefined. */
function claimHeaderProblem (name: string, claim: string, identity: ReadonlySet<string>, taken: readonly ClaimHeader[]): string | undefined {
  if (!HEADER_NAME.test(name)) return 'must be keyed by a header name (letters, digits, dashes)'
  if (RESERVED.has(name)) return `cannot set ${name}: the gateway owns that header`
  if (identity.has(name)) return `${name} is already an identity header (headers.userId/roles/sessionId/assertion)`
  if (taken.some((entry) => entry.name === name)) return `${name} is named twice (or by headers.preset)`
  if (!CLAIM_NAME.test(claim)) return 'must name a claim (printable ASCII, no spaces)'
  if (claim === '__proto__' || claim === 'constructor' || claim === 'prototype') return `cannot read the claim ${claim}`
  return undefined
}

/** `headers.claims` / `headers.preset` after the schema (a map of strings, a known preset): the header names' rules. */
export function readClaimHeaders (headers: HeadersInput, identity: IdentityHeaderNames, report: Report): readonly ClaimHeader[] {
  const out: ClaimHeader[] = headers.preset === undefined ? [] : [...OAUTH2_PROXY_PRESET]
  const identityNames = new Set<string>(Object.values(identity))
  for (const [rawName, claim] of Object.entries(headers.claims)) {
    const name = headerKey(rawName)
    const problem = claimHeaderProblem(name, claim, identityNames, out)
    if (problem === undefined) out.push(Object.freeze({ name, claim, list: LIST_CLAIMS.has(claim) }))
    else report(`headers.claims.${rawName}`, problem)
  }
  return Object.freeze(out)
}
