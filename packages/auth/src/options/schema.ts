// The plugin's options as one JSON Schema (TypeBox): its sections, and the keys only code can give. The gateway
// composes its file schema from `pluginSections('json')` (apps/gateway/src/config/schema.ts): one description of
// every option, one place for each default. A new section is one line in SECTIONS.
import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { CodeValue, Deprecated, DurationKey, OneOf, OrFalse, Strict, optionalDefaults, type Form } from '../config/kinds.js'
import { adminSection } from './section-admin.js'
import { authSection } from './section-auth.js'
import { cookieSection } from './section-cookie.js'
import { auditSection, notificationsSection, revocationSection, storeSection } from './section-misc.js'
import { rateLimitSection } from './section-rate-limit.js'
import { mailSection } from './section-mail.js'
import { tokensSection } from './section-tokens.js'
import { DEFAULT_RECHECK_INTERVAL, RECHECK_INTERVAL_RANGE, usersSection } from './section-users.js'
import { OidcSchema } from '../oidc/schema.js'

const SECTIONS = {
  store: storeSection,
  tokens: tokensSection,
  cookie: cookieSection,
  rateLimit: rateLimitSection,
  auth: authSection,
  users: usersSection,
  notifications: notificationsSection,
  revocation: revocationSection,
  mail: mailSection,
  audit: auditSection,
  admin: adminSection,
  oidc: () => OidcSchema
} satisfies Record<string, (form: Form) => TSchema>

export type SectionName = keyof typeof SECTIONS
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[]

/** Sections that stay absent unless given: absent means off (no store: memory; no oidc: no OIDC routes). */
const OPTIONAL_SECTIONS: ReadonlySet<SectionName> = new Set(['store', 'oidc'])

/** Each section's schema in `form`; sections other than store, tokens and oidc default to `{}` so their defaults apply. */
export function pluginSections (form: Form): Record<SectionName, TSchema> {
  const built = Object.fromEntries(SECTION_NAMES.map((name) => [name, SECTIONS[name](form)])) as Record<SectionName, TSchema>
  for (const name of SECTION_NAMES) {
    if (!OPTIONAL_SECTIONS.has(name) && name !== 'tokens' && built[name].default === undefined) built[name] = { ...built[name], default: {} }
  }
  return built
}

/** Top-level keys of `AuthgateOptions` that moved into `auth` / `revocation` (aliases.ts). */
function deprecatedTopLevel (auth: TObject): Record<string, TSchema> {
  const moved = ['prefix', 'jwksPath', 'registration', 'defaultRoles', 'allowedOrigins', 'publicOrigin', 'reuseDetection'] as const
  const keys: Record<string, TSchema> = {}
  for (const key of moved) {
    const schema: Record<string, unknown> = { ...(auth.properties[key] as TSchema) }
    // The default belongs to auth.*: here it would always win over the key it stands for.
    delete schema.default
    keys[key] = Type.Optional(Deprecated(schema as TSchema, `auth.${key}`))
  }
  keys.revocationFailClosedAfter = Type.Optional(Deprecated(DurationKey({ min: 0, max: 86_400_000 }, 'Fail closed after this long without a revocation sync.'), 'revocation.failClosedAfter'))
  return keys
}

/** The schema of `app.register(authgate, options)`. */
export function pluginSchema (): TObject {
  const sections = pluginSections('code')
  return optionalDefaults(Type.Object({
    ...Object.fromEntries(SECTION_NAMES.map((name) => [name, OPTIONAL_SECTIONS.has(name) ? Type.Optional(sections[name]) : sections[name]])),
    verifyCredentials: Type.Optional(CodeValue('function', '(email, password, request) => user | null: replaces the built-in users collection (exclusive with users.source: upstream).')),
    refreshUser: Type.Optional(CodeValue('function', '(userId, session) => user | null: re-resolves the user at refresh (needs verifyCredentials).')),
    refreshUserInterval: Type.Optional(DurationKey(RECHECK_INTERVAL_RANGE, `How often refreshUser is asked per session; 0: every refresh. Default ${DEFAULT_RECHECK_INTERVAL}.`)),
    events: Type.Optional(Type.Object({
      newDevice: Type.Optional(CodeValue('function', 'A login from a device unknown for the user.')),
      newIp: Type.Optional(CodeValue('function', 'A login or refresh from a network the user was not seen in within notifications.ipMemory.')),
      refreshReuse: Type.Optional(CodeValue('function', 'A retired refresh token presented again.')),
      login: Type.Optional(CodeValue('function', 'A successful login.')),
      loginFailed: Type.Optional(CodeValue('function', 'A refused password login, with its reason class (never the password or the email).')),
      logout: Type.Optional(CodeValue('function', 'A logout.')),
      passwordReset: Type.Optional(CodeValue('function', 'A reset link to deliver (carries the one-time token: never log it).')),
      emailVerification: Type.Optional(CodeValue('function', 'An email verification link to deliver (carries the one-time token: never log it).')),
      passwordChanged: Type.Optional(CodeValue('function', 'A password changed, by reset or by the signed-in user.')),
      emailVerified: Type.Optional(CodeValue('function', 'A user verified their email.')),
      adminAction: Type.Optional(CodeValue('function', 'An admin action through the admin API (who did what to whom).'))
    }, { ...Strict, description: 'Event hooks.' })),
    metrics: Type.Optional(CodeValue('object', 'A prom-client Registry: the auth outcome metrics (logins, refreshes, reuse, revocations, key set, rate limits) are registered in it (code only; prom-client is then needed).')),
    defaultAuth: Type.Optional(OneOf(['none', 'required'] as const, 'Policy of routes that declare no `config.auth`: `none` (public, as before) or `required`.')),
    authenticateDecorator: OrFalse(Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' }), 'Name of the app decorator holding the require-a-token preHandler (it collides with the `authenticate` that @fastify/jwt\'s README has apps write); false: not decorated (app.authgate.requireAuth always is).', 'must be an identifier (letters, digits, _ or $; not starting with a digit) or false', 'authenticate'),
    ...deprecatedTopLevel(sections.auth as TObject)
  }, { ...Strict, description: '@authgate/fastify options.' }))
}
