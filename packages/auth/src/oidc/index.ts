// Sign-in through OpenID Connect providers (`oidc` option, issue #14 item 2). See the plugin README, "OIDC sign-in".
export { OidcSchema, OidcProviderSchema, OidcClaimsSchema, type OidcInput, type OidcProviderInput } from './schema.js'
export { normaliseOidc, normaliseCheckedOidc, type NormalisedOidc, type NormalisedOidcProvider } from './options.js'
export { createOidcService, type OidcService } from './service.js'
export { safeReturnTo } from './return-to.js'
