// @authgate/fastify/proxy: the pieces a server in front of other services is made of (the authgate gateway is
// built on them): request authentication outside the plugin's own routes, route policies, the identity values
// that may be forwarded as headers, revocation lists, legacy user sources, webhooks, cookie names, OpenAPI parts.
export { readBearerToken, createAuthenticator, createAuthPreHandler, createPolicyHook, sendAuthError } from './http/authenticate.js'
export type { Authenticator, AuthenticatorOptions, AuthOutcome, AuthHeaders, PolicyUse } from './http/authenticate.js'
export {
  compileRoutePolicy, compileRouteConfig, readRouteConfig, checkRoles, normaliseDefaultAuth, isRouteAuthMode, ROUTE_POLICY_KEYS, ROUTE_RULE_KEYS,
  createRoutePolicyLookup
} from './route-policy/index.js'
export type {
  RoutePolicy, RoutePolicyInput, RouteRules, DefaultRouteAuth, Admission, CompileOptions, RouteAuthConfig, RouteConfigPolicy, RoutePolicyLookup, CompiledRoute
} from './route-policy/index.js'
export { MAX_FORWARDED_ID, MAX_FORWARDED_ROLE, MAX_FORWARDED_ROLES, MAX_FORWARDED_CLAIM, isForwardableId, isForwardableRole, unforwardableReason, forwardableClaimValue } from './users/identity-values.js'
export { createRevocationList, type RevocationListOptions, type PollingRevocationList } from './revocation/list.js'
export { detectRevocationTransport, type RevocationTransport } from './revocation/change-stream.js'
export { mapLegacyUser, createLegacyVerifier, createLegacyLookup, type LegacyLogger } from './users/legacy.js'
export type { LegacyUsersConfig } from './users/legacy-config.js'
export { createNewDeviceWebhook, createNewIpWebhook, type WebhookOptions, type WebhookLogger } from './notifications/webhook.js'
export { networkOf, DEFAULT_IP_PREFIX, type IpPrefix } from './notifications/ip-network.js'
export { createEvents, type AuthgateEvents } from './events.js'
export type { MetricsRegistry } from './metrics/types.js'
export { LOGIN_RESULTS, REFRESH_RESULTS } from './metrics/outcomes.js'
export { unprefixedCookieName } from './options/cookie-prefix.js'
export { authCookieNames } from './http/cookie-names.js'
export { bindingCookieName } from './http/oidc-binding-cookie.js'
export { BEARER_SCHEME, openApiSecuritySchemes, openApiTags, errorBody as openApiErrorBody, BEARER_ERRORS as openApiBearerErrors } from './http/routes/docs.js'
