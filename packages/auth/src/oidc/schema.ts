// The `oidc` option section as a JSON Schema (TypeBox): the one description of its keys, their defaults and their
// documentation. oidc/options.ts validates with it; the composed configuration schema (plugin + gateway) imports it.
import { Type, type Static } from '@sinclair/typebox'
import { DurationKey } from '../config/kinds.js'

/** Provider names appear in URLs (/auth/oidc/:provider/login) and identity keys: lower-case, short, no separators. */
export const PROVIDER_NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,31}$'
/** A claim name, or a dotted path into nested objects (`profile.email`). */
const CLAIM_PATH_PATTERN = '^[A-Za-z0-9_:$-]{1,64}(\\.[A-Za-z0-9_:$-]{1,64}){0,4}$'
/** Scope tokens (RFC 6749 §3.3): printable ASCII without space, `"` or `\`. */
const SCOPE_PATTERN = '^[\\x21\\x23-\\x5b\\x5d-\\x7e]{1,128}$'

export const DEFAULT_SCOPES: readonly string[] = Object.freeze(['openid', 'email', 'profile'])
export const DEFAULT_CLAIMS = Object.freeze({ email: 'email', emailVerified: 'email_verified', name: 'name' })
export const DEFAULT_STATE_TTL = '10m'

export const OidcClaimsSchema = Type.Object({
  email: Type.Optional(Type.String({ pattern: CLAIM_PATH_PATTERN, default: DEFAULT_CLAIMS.email, description: 'ID-token claim holding the email address.' })),
  emailVerified: Type.Optional(Type.String({
    pattern: CLAIM_PATH_PATTERN,
    default: DEFAULT_CLAIMS.emailVerified,
    description: 'ID-token claim saying whether the provider verified the email (must be exactly `true`). An unverified email is never used to link or to identify an account.'
  })),
  name: Type.Optional(Type.String({ pattern: CLAIM_PATH_PATTERN, default: DEFAULT_CLAIMS.name, description: 'ID-token claim holding the display name (not stored; reserved for events).' }))
}, { additionalProperties: false, default: {}, description: 'Where the profile claims are in the ID token. The user is always identified by (provider, `sub`).' })

export const OidcProviderSchema = Type.Object({
  name: Type.String({ pattern: PROVIDER_NAME_PATTERN, description: 'Short name used in the URLs (/auth/oidc/NAME/login) and in the stored identity links: never rename a provider in use.' }),
  issuer: Type.String({
    minLength: 1,
    maxLength: 1024,
    description: 'The provider\'s issuer identifier, exactly as its ID tokens\' `iss` and its discovery document say it. https (http only to a loopback host). Its `/.well-known/openid-configuration` is read at the first sign-in.'
  }),
  clientId: Type.String({ minLength: 1, maxLength: 512, description: 'The client id registered at the provider (the `aud` its ID tokens carry for us).' }),
  clientSecret: Type.String({ minLength: 1, maxLength: 1024, description: 'The client secret. Give it from the environment (`${VAR}` in the gateway file), never in a file.' }),
  scopes: Type.Optional(Type.Array(Type.String({ pattern: SCOPE_PATTERN }), {
    minItems: 1,
    maxItems: 32,
    uniqueItems: true,
    default: [...DEFAULT_SCOPES],
    description: 'Scopes requested; `openid` is required.'
  })),
  claims: Type.Optional(OidcClaimsSchema)
}, { additionalProperties: false, description: 'One OpenID Connect provider users may sign in with (authorization code + PKCE).' })

export const OidcSchema = Type.Object({
  providers: Type.Array(OidcProviderSchema, { minItems: 1, maxItems: 16, description: 'The providers; each gets /auth/oidc/NAME/login and /auth/oidc/NAME/callback.' }),
  linkByVerifiedEmail: Type.Optional(Type.Boolean({
    default: false,
    description: 'When a provider vouches for an email (email_verified: true) that an existing account already has, sign in to that account (and link it). Off: such a sign-in gets a new account of its own. Turn on only for providers you trust to verify emails: the provider then decides who owns every account with an email at it.'
  })),
  stateTtl: Type.Optional(DurationKey({ min: 30_000, max: 3_600_000 }, 'How long a started sign-in may take at the provider before its state expires (a bare number is milliseconds).', DEFAULT_STATE_TTL))
}, { additionalProperties: false, description: 'Sign-in through OpenID Connect providers (issue #14).' })

export type OidcInput = Static<typeof OidcSchema>
export type OidcProviderInput = Static<typeof OidcProviderSchema>
