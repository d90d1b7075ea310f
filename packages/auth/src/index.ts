// @authgate/fastify: the plugin, its options, its events, the error catalogue, the claim types and the session
// stores. Tools and servers built around the plugin have their own entries (each a file beside this one):
//   @authgate/fastify/config    the configuration model: schema, validator, option sections, normalisation
//   @authgate/fastify/tokens    access tokens: sign, verify, JWKS, key sets on disk, trusted issuers
//   @authgate/fastify/key-ring  signing keys kept in a store and rotated without a restart
//   @authgate/fastify/stores    the store contract in full (every record type) and the store factory
//   @authgate/fastify/admin     user, session and audit administration (the gateway's CLI and admin API)
//   @authgate/fastify/proxy     request authentication, route policies and forwarded identity, for proxies
//   @authgate/fastify/testing   the store contract suites, for a store of your own
import { authgate } from './plugin.js'

export default authgate
export { authgate } from './plugin.js'
export type { AuthgateOptions } from './options/types.js'
export type { VerifiedUser, VerifyCredentials, RefreshUser } from './users/types.js'
export type { AuthgateDecorator, AuthgateSessions, IssuedLogin, SessionSummary, AuthgateClaims, AuthClaims, RouteAuthMode, RouteAuthConfig } from './http/augmentation.js'
export type { AccessClaims } from './tokens/types.js'
export { AUTH_ERRORS, AuthError, isAuthError, type AuthErrorCode, type AuthErrorBody } from './errors.js'
export { ConfigValidationError } from './config/validate.js'
export { MissingPeerError } from './internal/optional-peer.js'
export type {
  AuthgateEvents, AuthgateEventMap, AuthgateEventName, AuthgateEventHooks, AuthgateListener,
  LoginEvent, LoginFailedEvent, LogoutEvent, NewDeviceEvent, NewIpEvent, RefreshReuseEvent
} from './events.js'
export { MemorySessionStore } from './stores/memory.js'
export { MongoSessionStore, type MongoStoreOptions } from './stores/mongo/session-store.js'
export type { StoreOption } from './stores/index.js'
export type { SessionStore, SessionRecord, UserRecord, DeviceRecord } from './stores/store.js'
