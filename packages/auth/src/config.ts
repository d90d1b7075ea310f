// @authgate/fastify/config: the configuration model as a toolkit, for the gateway (which composes its file schema
// from the plugin's sections) and for tools: the schema and its builders, the validator that lists every problem
// at once, the one duration parser, and the text sources a file adds (`${VAR}` references, AUTHGATE_* overrides).
// The plugin itself validates its options with these at registration; an app that only registers it needs none.
export { parseDuration, durationMs, formatMs, DURATION_EXPECTED, type Duration } from './config/duration.js'
export { pluginSchema, pluginSections, SECTION_NAMES, type SectionName } from './options/schema.js'
export { createValidator, describeErrors, dottedPath, formatIssues, ConfigValidationError, type ConfigValidator } from './config/validate.js'
export { DurationKey, OneOf, Strict, optionalDefaults, type Form, type DurationRange } from './config/kinds.js'
// TypeBox itself, so a composing schema (the gateway's) is written with the same builder and version.
export { Type, type Static, type TSchema, type TObject } from '@sinclair/typebox'
export { applyAliases, applyKeyRingAliases, copyPlain, isPlainObject } from './config/aliases.js'
export { didYouMean, closest } from './config/suggest.js'
export { expandEnv, shieldReferences, restoreReferences, ENV_REFERENCE, type Expanded } from './config/env-references.js'
export { applyEnvOverrides, envKeys, envTable, isFileOnly, schemaAt, typeSubstituted, type EnvKey } from './config/env-overrides.js'
export { DEFAULT_PREFIX } from './options/section-auth.js'
export { DEFAULT_REFRESH_TTL } from './options/section-tokens.js'
export { HTTP_URL_PATTERN } from './options/section-misc.js'
// The options: their types section by section, and the normalisation the plugin runs at registration.
export type {
  NormalisedOptions, RefreshUserSession, TokensInput, KeyRingInput, CookieInput, RateLimitInput, RateLimitRule, AuthInput, UsersInput, NotificationsInput, AuditInput, AdminInput,
  RevocationInput, MailInput, MailTemplate, MailTemplateInput, MailContent
} from './options/types.js'
export { auditRetentionMs, normaliseOptions, normaliseOrigin, optionIssues, DEFAULT_ROLES } from './options/normalise.js'
export { DEFAULT_ADMIN_ROLES } from './options/section-admin.js'
export { OidcSchema, normaliseOidc, normaliseCheckedOidc, safeReturnTo, type OidcInput, type OidcProviderInput, type NormalisedOidc } from './oidc/index.js'
