// tokens.trustedIssuers → normalised issuers, once, at start-up. Errors name the option path
// (`tokens.trustedIssuers[1].algorithms`) so a misconfigured issuer stops the process instead of weakening it.
import { parseDuration, type Duration } from '../../config/duration.js'

/** Asymmetric JWS algorithms only: a trusted issuer's keys come from its public JWKS (RFC 8725 §3.1, §3.2). */
export const EXTERNAL_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const
export type ExternalAlgorithm = typeof EXTERNAL_ALGORITHMS[number]

export interface TrustedIssuerClaimsInput {
  /** Claim naming the user (forwarded as x-user-id). Default `sub`. */
  sub?: string
  /**
   * Path to the roles: `roles`, `groups`, `realm_access.roles` (dots descend into objects), or `scp`/`scope`; an array
   * of strings, or one string split on spaces. Default: none (no roles).
   */
  roles?: string
  /** Default `email`. */
  email?: string
  /** Default `name`. */
  name?: string
}

export interface TrustedIssuerInput {
  /** The exact `iss` of its tokens; compared as a whole string, never as a prefix. */
  issuer: string
  /** Where its JWKS is; or `discovery: true` to read `jwks_uri` from `${issuer}/.well-known/openid-configuration`. */
  jwksUrl?: string
  discovery?: boolean
  /** The `aud` its tokens must carry for us (a string, or one exact element of an `aud` array). */
  audience: string
  /** Accepted `alg` values (asymmetric only). Default `['RS256']`. `none` and HMAC are never accepted. */
  algorithms?: ExternalAlgorithm[]
  claims?: TrustedIssuerClaimsInput
  /** How often its JWKS is fetched again (within a `Cache-Control: max-age` in 1 min..1 h). Default 10m. */
  refreshInterval?: Duration
}

export interface NormalisedTrustedIssuer {
  issuer: string
  /** Undefined with discovery: found in the discovery document. */
  jwksUrl: string | undefined
  discoveryUrl: string | undefined
  audience: string
  algorithms: readonly ExternalAlgorithm[]
  claims: { sub: readonly string[], roles: readonly string[] | undefined, email: readonly string[], name: readonly string[] }
  refreshMs: number
}

const MIN_REFRESH_MS = 1000
const MAX_REFRESH_MS = 86_400_000
const PATH = /^[A-Za-z0-9_:$-]{1,64}(\.[A-Za-z0-9_:$-]{1,64}){0,4}$/
const CLAIM_KEYS = ['sub', 'roles', 'email', 'name']
const ISSUER_KEYS = ['issuer', 'jwksUrl', 'discovery', 'audience', 'algorithms', 'claims', 'refreshInterval']

export function normaliseTrustedIssuers (input: unknown, ownIssuer: string, path = 'tokens.trustedIssuers'): NormalisedTrustedIssuer[] {
  if (input === undefined) return []
  if (!Array.isArray(input)) throw new Error(`${path} must be a list of issuers`)
  const seen = new Set<string>([ownIssuer])
  return input.map((item: unknown, index) => {
    const issuer = normaliseIssuer(item, `${path}[${index}]`)
    if (seen.has(issuer.issuer)) {
      throw new Error(`${path}[${index}].issuer "${issuer.issuer}" is ${issuer.issuer === ownIssuer ? 'tokens.issuer (our own)' : 'listed twice'}`)
    }
    seen.add(issuer.issuer)
    return issuer
  })
}

function normaliseIssuer (item: unknown, path: string): NormalisedTrustedIssuer {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new Error(`${path} must be an object`)
  const input = item as Record<string, unknown>
  for (const key of Object.keys(input)) if (!ISSUER_KEYS.includes(key)) throw new Error(`${path}.${key} is not an option (${ISSUER_KEYS.join(', ')})`)
  if (typeof input.issuer !== 'string' || input.issuer.length === 0 || input.issuer.length > 1024) throw new Error(`${path}.issuer must be a non-empty string`)
  const issuer = input.issuer
  if (typeof input.audience !== 'string' || input.audience.length === 0) throw new Error(`${path}.audience must be a non-empty string`)
  if (input.discovery !== undefined && typeof input.discovery !== 'boolean') throw new Error(`${path}.discovery must be a boolean`)
  const discovery = input.discovery === true
  if (discovery === (input.jwksUrl !== undefined)) throw new Error(`${path} needs exactly one of jwksUrl and discovery: true`)
  const jwksUrl = input.jwksUrl === undefined ? undefined : fetchUrl(input.jwksUrl, `${path}.jwksUrl`)
  const discoveryUrl = discovery ? fetchUrl(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, `${path}.issuer (discovery)`) : undefined
  const algorithms = normaliseAlgorithms(input.algorithms, `${path}.algorithms`)
  const refreshMs = parseDuration(input.refreshInterval ?? '10m', `${path}.refreshInterval`)
  if (refreshMs < MIN_REFRESH_MS || refreshMs > MAX_REFRESH_MS) throw new Error(`${path}.refreshInterval must be between 1 s and 1 d`)
  return { issuer, jwksUrl, discoveryUrl, audience: input.audience, algorithms, claims: normaliseClaims(input.claims, `${path}.claims`), refreshMs }
}

/**
 * https, or http to a loopback host only: keys fetched in clear text from elsewhere could be swapped by anyone on
 * the path, and with them every identity.
 */
export function fetchUrl (value: unknown, path: string): string {
  let url: URL | undefined
  try { url = typeof value === 'string' ? new URL(value) : undefined } catch { url = undefined }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '') {
    throw new Error(`${path} must be an https URL without credentials`)
  }
  if (url.protocol === 'http:' && !['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) {
    throw new Error(`${path} must be https (http only to a loopback host)`)
  }
  return url.href
}

function normaliseAlgorithms (value: unknown, path: string): readonly ExternalAlgorithm[] {
  if (value === undefined) return Object.freeze(['RS256'] as ExternalAlgorithm[])
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${path} must be a non-empty list`)
  for (const alg of value) {
    if (!(EXTERNAL_ALGORITHMS as readonly unknown[]).includes(alg)) {
      throw new Error(`${path}: ${String(alg)} is not accepted (${EXTERNAL_ALGORITHMS.join(', ')}; never none or HMAC)`)
    }
  }
  return Object.freeze([...new Set(value as ExternalAlgorithm[])])
}

function normaliseClaims (value: unknown, path: string): NormalisedTrustedIssuer['claims'] {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) throw new Error(`${path} must be an object`)
  const input = (value ?? {}) as Record<string, unknown>
  for (const key of Object.keys(input)) if (!CLAIM_KEYS.includes(key)) throw new Error(`${path}.${key} is not an option (${CLAIM_KEYS.join(', ')})`)
  const claimPath = (key: string, fallback: string | undefined): readonly string[] | undefined => {
    const text = input[key] ?? fallback
    if (text === undefined) return undefined
    if (typeof text !== 'string' || !PATH.test(text)) throw new Error(`${path}.${key} must be a claim name or a dotted path like realm_access.roles`)
    return Object.freeze(text.split('.'))
  }
  return {
    sub: claimPath('sub', 'sub') as readonly string[],
    roles: claimPath('roles', undefined),
    email: claimPath('email', 'email') as readonly string[],
    name: claimPath('name', 'name') as readonly string[]
  }
}
