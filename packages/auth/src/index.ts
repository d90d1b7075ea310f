// @authgate/fastify: the plugin, its options and events, the stores, password hashing, and the access-token half
// (signing, verification, keys, JWKS) that the gateway and its CLI (`authgate token`, `authgate user add`) use.
import { authgate } from './plugin.js'

export default authgate
export { authgate, fastifyAuth } from './plugin.js'
export * from './errors.js'
export { MissingPeerError, type OptionalPeer } from './internal/optional-peer.js'
export type {
  AuthgateOptions, NormalisedOptions, TokensInput, KeyRingInput, CookieInput, RateLimitInput, RateLimitRule, Duration, VerifiedUser, VerifyCredentials,
  RefreshUser, RefreshUserSession, AuthInput, UsersInput, NotificationsInput, AuditInput, AdminInput,
  RevocationInput, MailInput, MailTemplate, MailTemplateInput, MailContent
} from './options/normalise.js'
export { auditRetentionMs, normaliseOptions, normaliseOrigin, optionIssues, DEFAULT_ROLES } from './options/normalise.js'
// The configuration toolkit (schema, validator, durations, `${VAR}` and AUTHGATE_* sources): `@authgate/fastify/config`.
// Its error stays here: registration throws it.
export { ConfigValidationError } from './config/validate.js'
export { MAX_FORWARDED_ID, MAX_FORWARDED_ROLE, MAX_FORWARDED_ROLES, MAX_FORWARDED_CLAIM, isForwardableId, isForwardableRole, unforwardableReason, forwardableClaimValue } from './users/identity-values.js'
export { mapLegacyUser, createLegacyVerifier, createLegacyLookup, type LegacyLogger } from './users/legacy.js'
export type { LegacyUsersConfig } from './users/legacy-config.js'
export { createNewDeviceWebhook, createNewIpWebhook, type WebhookOptions, type WebhookLogger } from './notifications/webhook.js'
export { networkOf, DEFAULT_IP_PREFIX, type IpPrefix } from './notifications/ip-network.js'
export { DEFAULT_MAX_NETWORKS, type NetworkSighting, type NetworkVerdict, type NetworkEntry, type UserNetworks } from './stores/ip-memory.js'
export type {
  AuthgateEvents, AuthgateEventMap, AuthgateEventName, AuthgateEventHooks, AuthgateListener, LoginEvent, LoginFailedEvent, LoginFailureReason, LogoutEvent,
  NewDeviceEvent, NewIpEvent, RefreshReuseEvent, ReuseClassification, AdminAction, AdminActionEvent, AdminChanges,
  PasswordResetEvent, EmailVerificationEvent, PasswordChangedEvent, EmailVerifiedEvent
} from './events.js'
// The admin actions (admin API and the gateway CLI's user verbs): one implementation each, each returning its
// `adminAction` record.
export {
  updateUser, deleteUser, revokeUserSessions, setUserPassword, adminActionEvent, publicUser, identityUnlinker, CLI_ACTOR,
  type AdminTarget, type AdminActor, type AdminCheck, type PublicUser, type UserUpdate
} from './admin/operations.js'
export { missingAdminMethods, isAdminStore, type AdminStore } from './admin/store-support.js'
export { checkAdminChange, holdsAdminRole, type AdminRules, type AdminChange } from './admin/rules.js'
export { encodeUserCursor, decodeUserCursor } from './admin/user-cursor.js'
export { USER_QUERY_PATTERN } from './http/routes/admin-schemas.js'
export { foldEmailFragment, MAX_EMAIL_LENGTH } from './stores/email-identity.js'
export { DEFAULT_ADMIN_ROLES } from './options/section-admin.js'
export { createEvents } from './events.js'
export {
  AUDIT_MAPPINGS, AUDIT_TYPES, adminActionEntry, auditRecord, createAuditWriter, queryAudit, keyRotationEntry, DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE,
  type AuditEntry, type AuditMappings, type KeyRingChange, type AuditWriter, type AuditQuery, type AuditItem, type AuditPage
} from './audit/index.js'
export type { AuditRecord, AuditListQuery, AuditDetail, AuditCapable } from './stores/audit-records.js'
export type { MetricsRegistry } from './metrics/types.js'
export { LOGIN_RESULTS, REFRESH_RESULTS } from './metrics/outcomes.js'
export { createStore, isSessionStore, MemorySessionStore, MongoSessionStore, MAX_PREVIOUS_HASHES } from './stores/index.js'
export { addUser, findUserByEmail, normaliseEmail, type AddUserInput } from './users/add-user.js'
export type {
  StoreOption, MongoStoreOptions, SessionStore, SessionRecord, NewSession, UserRecord, UserPage, NewUser, DeviceRecord, DeviceSeen, GraceEntry, RotateInput,
  OneTimePurpose, OneTimeTokenRecord
} from './stores/index.js'
export { MongoKeyRingStore, KEY_RING_COLLECTION } from './stores/index.js'
export { hashPassword, verifyPassword, normalisePassword, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH, PASSWORD_HASH_OPTIONS } from './users/passwords.js'
export type { SessionUser, IssuedSession } from './sessions/service.js'
export * from './tokens/index.js'
export * from './keys/index.js'
export { fastifyJwtOptions, FASTIFY_JWT_DECORATOR } from './http/fastify-jwt.js'
export { readBearerToken, createAuthenticator, createAuthPreHandler, createPolicyHook, sendAuthError } from './http/authenticate.js'
export type { Authenticator, AuthenticatorOptions, AuthOutcome, AuthHeaders, PolicyUse } from './http/authenticate.js'
export {
  compileRoutePolicy, compileRouteConfig, readRouteConfig, checkRoles, normaliseDefaultAuth, isRouteAuthMode, ROUTE_POLICY_KEYS, ROUTE_RULE_KEYS,
  createRoutePolicyLookup
} from './route-policy/index.js'
export type {
  RoutePolicy, RoutePolicyInput, RouteRules, DefaultRouteAuth, Admission, CompileOptions, RouteAuthConfig, RouteConfigPolicy, RoutePolicyLookup, CompiledRoute
} from './route-policy/index.js'
export { normaliseTrustedIssuers, EXTERNAL_ALGORITHMS, type TrustedIssuerInput, type TrustedIssuerClaimsInput, type ExternalAlgorithm } from './tokens/trusted-issuers/index.js'
export { createRevocationList, type RevocationListOptions, type PollingRevocationList } from './revocation/list.js'
export { detectRevocationTransport, type RevocationTransport } from './revocation/change-stream.js'
export { subjectKey, issuedBefore, EXTERNAL_MAX_LIFETIME_S } from './tokens/subject-revocation.js'
export type { AuthgateClaims, AuthClaims, AuthgateDecorator, RouteAuthMode } from './http/augmentation.js'
export { bindingCookieName } from './http/oidc-binding-cookie.js'
export { OidcSchema, normaliseOidc, normaliseCheckedOidc, safeReturnTo, type OidcInput, type OidcProviderInput, type NormalisedOidc } from './oidc/index.js'
export { unprefixedCookieName } from './options/cookie-prefix.js'
export { authCookieNames } from './http/cookie-names.js'
export { MemoryOidcStore, MongoOidcStore, hasOidcStore, type OidcStore, type OidcCapable, type ExternalIdentity, type LoginStateRecord } from './stores/index.js'
export { BEARER_SCHEME, openApiSecuritySchemes, openApiTags, errorBody as openApiErrorBody, BEARER_ERRORS as openApiBearerErrors } from './http/routes/docs.js'
