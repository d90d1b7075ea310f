// The `oidc` option section → NormalisedOidc, once, at registration: the TypeBox schema (schema.ts) through ajv with
// its defaults, then the rules a schema cannot say. Every error names its path (`oidc.providers[0].issuer: …`).
import { Type } from '@sinclair/typebox'
import { fetchUrl } from '../tokens/trusted-issuers/options.js'
import { parseDuration } from '../config/duration.js'
import { createValidator } from '../config/validate.js'
import { DEFAULT_CLAIMS, DEFAULT_SCOPES, DEFAULT_STATE_TTL, OidcSchema, type OidcInput } from './schema.js'

export interface NormalisedOidcProvider {
  name: string
  issuer: string
  clientId: string
  clientSecret: string
  scopes: readonly string[]
  claims: { email: readonly string[], emailVerified: readonly string[], name: readonly string[] }
}

export interface NormalisedOidc {
  providers: readonly NormalisedOidcProvider[]
  linkByVerifiedEmail: boolean
  stateTtlMs: number
}

// The section under its own name, so every problem names its full path (`oidc.providers[0].issuer: …`), in the
// words of every other section's.
const validate = createValidator(Type.Object({ oidc: OidcSchema }))

/** Undefined when `input` is undefined (no OIDC); else the checked section, or an Error naming every bad path. */
export function normaliseOidc (input: unknown): NormalisedOidc | undefined {
  if (input === undefined) return undefined
  // ajv fills defaults in place: the caller's object is never written to.
  const holder = { oidc: structuredClone(input) as OidcInput }
  const problems = validate(holder)
  if (problems.length > 0) throw new Error(problems.join('; '))
  return normaliseCheckedOidc(holder.oidc)
}

/**
 * The rules the schema cannot say, for a section the schema has already checked (with its defaults filled): the
 * plugin's composed schema (options/schema.ts) validates `oidc` as one of its sections, then calls this.
 */
export function normaliseCheckedOidc (copy: OidcInput): NormalisedOidc {
  const names = new Set<string>()
  const providers = copy.providers.map((provider, index) => {
    const path = `oidc.providers[${index}]`
    if (names.has(provider.name)) throw new Error(`${path}.name: "${provider.name}" is listed twice`)
    names.add(provider.name)
    // Discovery and the JWKS are fetched from the issuer: in clear text anyone on the path could swap the keys.
    const issuer = provider.issuer
    try {
      fetchUrl(issuer, `${path}.issuer`)
    } catch (error) {
      throw new Error(`${path}.issuer: ${(error as Error).message.slice(`${path}.issuer `.length)}`)
    }
    if (/[?#]/.test(issuer)) throw new Error(`${path}.issuer: must not hold a query or fragment`)
    const scopes = provider.scopes ?? DEFAULT_SCOPES
    const claims = { ...DEFAULT_CLAIMS, ...provider.claims }
    if (!scopes.includes('openid')) throw new Error(`${path}.scopes: must include "openid"`)
    return Object.freeze({
      name: provider.name,
      issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      scopes: Object.freeze([...scopes]),
      claims: Object.freeze({
        email: Object.freeze(claims.email.split('.')),
        emailVerified: Object.freeze(claims.emailVerified.split('.')),
        name: Object.freeze(claims.name.split('.'))
      })
    })
  })
  return Object.freeze({ providers: Object.freeze(providers), linkByVerifiedEmail: copy.linkByVerifiedEmail ?? false, stateTtlMs: parseDuration(copy.stateTtl ?? DEFAULT_STATE_TTL, 'oidc.stateTtl') })
}
