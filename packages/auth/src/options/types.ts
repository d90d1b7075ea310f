// The plugin's option types: what `app.register(authgate, options)` takes (AuthgateOptions, described once in
// options/schema.ts) and what the plugin runs on (NormalisedOptions, built by options/normalise.ts).
import type { AccessAlgorithm, KeyInput, TokenOptions } from '../tokens/types.js'
import type { KeyEncryptionKey } from '../keys/key-ring-crypto.js'
import type { KeyRingStore } from '../keys/key-ring-store.js'
import type { StoreOption } from '../stores/index.js'
import type { AuthgateEventHooks } from '../events.js'
import type { MetricsRegistry } from '../metrics/types.js'
import type { Redis } from 'ioredis'
import type { NormalisedTrustedIssuer, TrustedIssuerInput } from '../tokens/trusted-issuers/index.js'
import type { Duration } from '../config/duration.js'
import type { LegacyUsersConfig } from '../users/legacy-config.js'
import type { DefaultRouteAuth } from '../route-policy/index.js'
import type { NormalisedOidc } from '../oidc/options.js'
import type { OidcInput } from '../oidc/schema.js'
import type { IpPrefix } from '../notifications/ip-network.js'
import type { RefreshUser, RefreshUserSession, VerifiedUser, VerifyCredentials } from '../users/types.js'
import type { MailContent, MailTemplate, MailTemplateInput, NormalisedRecovery } from '../recovery/types.js'
import type { NormalisedRateLimit, NormalisedRule } from '../limits/types.js'

export type { RefreshUser, RefreshUserSession, VerifiedUser, VerifyCredentials, MailContent, MailTemplate, MailTemplateInput, NormalisedRecovery, NormalisedRateLimit, NormalisedRule }

export type { Duration }

export interface TokensInput {
  /** Default: the algorithm of the first key (the signing key of a keysDir), else EdDSA. */
  algorithm?: AccessAlgorithm
  /** The key set (see KeyInput); or `keysDir`, a directory written by `authgate keygen` / writeKeysDir. */
  keys?: KeyInput[]
  keysDir?: string
  signingKid?: string
  issuer?: string
  audience?: string
  /** Access-token lifetime (a bare number is milliseconds). Default 15m. */
  accessTtl?: Duration
  /** Absolute lifetime of a refresh session. Default 30d. */
  refreshTtl?: Duration
  /** A session unused this long ends. Default: refreshTtl (no separate idle limit). */
  idleTimeout?: Duration
  /** How long a just-retired refresh token still gets its successor back (0–60 s). Default 10s. */
  reuseGrace?: Duration
  /** Upper bound for a revocation to reach every instance (the revocation poll interval). Default 5s. */
  revocationDelay?: Duration
  /** Allowed clock skew for access tokens (0–300 s). Default 30s. */
  clockTolerance?: Duration
  /** Longest lifetime a token may be minted with (`authgate token --ttl`). Default accessTtl. */
  maxTtl?: Duration
  /**
   * Signing keys kept in the database and shared by every instance (exclusive with `keys`/`keysDir`): changed with
   * `authgate keys rotate | retire`, picked up by each instance within `refreshInterval`, without a restart.
   */
  keyRing?: KeyRingInput
  /**
   * Identity providers whose bearer tokens are accepted beside authgate's own, verified against their JWKS (fetched
   * in the background). Their tokens carry no authgate session: see the README, "Trusted issuers".
   */
  trustedIssuers?: TrustedIssuerInput[]
  /** Deprecated alias, TODO(next-major) remove: the gateway's old name of keyRing.store. */
  keyStore?: 'database'
  /** Deprecated alias, TODO(next-major) remove: the gateway's old name of keyRing.keyEncryptionKey. */
  keyEncryptionKey?: string
  /** Deprecated alias, TODO(next-major) remove: the gateway's old name of keyRing.refreshInterval. */
  keyRefresh?: Duration
}

export interface KeyRingInput {
  /** `'database'`: the ring in the session store (MongoDB, or the in-memory store for one process); or a KeyRingStore. */
  store: 'database' | KeyRingStore
  /**
   * Required: ≥ 32 random bytes (hex or base64 text, or a Buffer). Private keys are encrypted at rest under it
   * (AES-256-GCM); without it a copy of the database cannot sign. Give it from the environment; it is never stored.
   */
  keyEncryptionKey: string | Buffer | KeyEncryptionKey
  /** How often each instance reads the ring (0.05–300 s). Also the JWKS max-age. Default 10s. */
  refreshInterval?: Duration
}

export interface NormalisedKeyRing {
  store: 'database' | KeyRingStore
  kek: KeyEncryptionKey
  refreshMs: number
}

export interface CookieInput {
  /**
   * Refresh cookie name. Default `authgate_rt`. A `__Host-` name (e.g. `__Host-authgate_rt`, needs `secure`) cannot
   * be set by any other host, sibling subdomains included, so cookie tossing is impossible; the cookie then has
   * Path=/ (the prefix requires it) and reaches every route of the host (the gateway strips it before upstreams).
   */
  name?: string
  /** Device-id cookie name. Default `authgate_did`. */
  deviceName?: string
  /** Default true. Only turn off for plain-HTTP local development: the refresh token would travel in clear. */
  secure?: boolean
  /** Default 'strict'. 'none' requires `secure`. */
  sameSite?: 'strict' | 'lax' | 'none'
}

export interface RateLimitRule {
  max: number
  /** Window length. */
  timeWindow: Duration
}

export interface RateLimitInput {
  /** Login attempts per client IP. Default 30 per minute. */
  login?: RateLimitRule
  /** Refresh calls per client IP. Default 300 per minute. */
  refresh?: RateLimitRule
  /** Registrations per client IP. Default 10 per minute. */
  register?: RateLimitRule
  /** Per client IP, each password-reset / change / email-verification endpoint. Default 20 per 15m. */
  recovery?: RateLimitRule
  /** Per account (email asked for, or signed-in user), each of those endpoints. Default 5 per 15m. */
  recoveryAccount?: RateLimitRule
  /**
   * Failed logins per account before it is locked (from every IP, also for the right password), with a lockout
   * that doubles on each repeat up to `timeWindow`. Default 5 per 15 minutes.
   */
  accountFailures?: RateLimitRule
  /**
   * Shares every limit above between instances: an ioredis client, or a `redis://` / `rediss://` URL (the plugin
   * then owns the client and closes it with the app). Without it each process counts on its own, so N instances
   * allow N times the attempts. While Redis cannot answer (bounded at 1.5 s), login, refresh and register answer
   * 503 AUTH_STORE_UNAVAILABLE + Retry-After: never unlimited. Bearer checks do not use Redis.
   */
  redis?: Redis | string
  /** Prefix of the Redis keys (several deployments on one Redis). Default `authgate:`. */
  keyPrefix?: string
}

/** `auth`: where the endpoints live and who may use them. */
export interface AuthInput {
  /** Route prefix of the auth endpoints and the Path of the refresh cookie. Default `/auth`. */
  prefix?: string
  /** Where the JWKS is served; false to not serve it. Default `/.well-known/jwks.json`. */
  jwksPath?: string | false
  /** POST /auth/register. Default true. */
  registration?: boolean
  /** Roles of a newly registered user. Default `['user']`. */
  defaultRoles?: string[]
  /** Origins (scheme://host[:port]) allowed to call the cookie endpoints cross-origin. Default none. */
  allowedOrigins?: string[]
  /**
   * The origin browsers reach this app at (scheme://host[:port]), for the cross-site check of the cookie endpoints.
   * Default: the request's Host header (never X-Forwarded-Host, which any client can send). Behind a proxy give the
   * public origin: the Host is then never consulted. `false`: no own origin, only `allowedOrigins` pass.
   */
  publicOrigin?: string | false
  /** 'revoke' (default) ends the session on refresh-token reuse; 'report' only emits `refreshReuse`. */
  reuseDetection?: 'revoke' | 'report'
  /** Login refuses accounts whose email is not verified (403 AUTH_EMAIL_UNVERIFIED). Default false. */
  requireVerifiedEmail?: boolean
  /** Lifetime of a password-reset link. Default 15m. */
  resetTtl?: Duration
  /** Lifetime of an email-verification link. Default 24h. */
  verifyTtl?: Duration
  /** Page of the reset link (publicOrigin + path + `#token=…`). Default `/reset-password`. */
  resetLinkPath?: string
  /** Page of the verification link. Default `/verify-email`. */
  verifyLinkPath?: string
}

export interface MailInput {
  /** SMTP delivery through nodemailer (an optional peer: install it). */
  smtp?: { url: string, from: string }
  templates?: { passwordReset?: MailTemplate, emailVerification?: MailTemplate }
}

/** `users`: the built-in users collection, or a legacy login service (README "Legacy users"). */
export interface UsersInput {
  source?: 'builtin' | 'upstream'
  url?: string
  map?: { id?: string, roles?: string, email?: string }
  timeout?: Duration
  refresh?: 'recheck' | 'none'
  lookupUrl?: string
  recheckInterval?: Duration
}

export interface NotificationsInput {
  /** POSTed a JSON `newDevice` event when a user signs in from a device unknown for them. */
  newDeviceWebhook?: string
  /** POSTed a JSON `newIp` event when a user signs in or refreshes from a network not seen for them within ipMemory. */
  newIpWebhook?: string
  /** How long a network stays known for a user (default 90d); false: no address collection, no `newIp`. */
  ipMemory?: Duration | false
  /** Leading bits that name an address's network: `{ v4: 24, v6: 64 }` by default. */
  ipPrefix?: { v4?: number, v6?: number }
}

export interface AuditInput {
  /** How long rows are kept (default 90d); false: no audit trail. */
  retention?: Duration | false
  /** Rows waiting to be written at most (default 5000); past it rows are dropped and counted. */
  queueSize?: number
}

export interface AdminInput {
  /** Roles whose holders may use the admin API (default `['admin']`); `[]`: no admin API. */
  roles?: string[]
  /** Roles an admin may grant or remove (and the admin roles another admin they act on may hold). Default: the admin's own. */
  grantableRoles?: string[]
}

/** Options of `app.register(authgate, options)`; options/schema.ts describes every key (with its default). */
export interface AuthgateOptions {
  /** `{ mongodb: { url | client, database } }`, `{ memory: true }` (default, with a warning) or a SessionStore. */
  store?: StoreOption
  tokens: TokensInput
  cookie?: CookieInput
  auth?: AuthInput
  /** false disables the built-in limits (only when something in front of the app limits instead). */
  rateLimit?: RateLimitInput | false
  users?: UsersInput
  notifications?: NotificationsInput
  /** Mail of password-reset and verification links (built-in SMTP sender, templates). */
  mail?: MailInput
  /** The audit trail (see AuditInput). */
  audit?: AuditInput
  /** The admin API (default: on for the `admin` role, with the built-in users collection). */
  admin?: AdminInput
  /** How revocations reach this instance (see RevocationInput). */
  revocation?: RevocationInput
  /** Replaces the built-in users collection in code (exclusive with users.source: upstream). */
  verifyCredentials?: VerifyCredentials
  /**
   * Re-resolves the user at refresh (needs `verifyCredentials`). Without it, a session keeps the roles of its login
   * for its whole lifetime, and a user deleted at the source keeps refreshing.
   */
  refreshUser?: RefreshUser
  /** How often refreshUser is asked per session (the login counts as the first answer). Default 5m; 0: every refresh. */
  refreshUserInterval?: Duration
  events?: AuthgateEventHooks
  /**
   * A prom-client `Registry`: the plugin registers its auth outcome metrics there (README, "Metrics"). prom-client is
   * an optional peer dependency, loaded only when this is given.
   */
  metrics?: MetricsRegistry
  /** Sign-in through OpenID Connect providers: /auth/oidc/:provider/login and /callback (see the README, "OIDC sign-in"). */
  oidc?: OidcInput
  /**
   * What a route without `config.auth` (and without a rule such as `config.roles`) gets: 'none' (default, public)
   * or 'required' (deny by default: a route is public only when it says `auth: 'none'`).
   */
  defaultAuth?: DefaultRouteAuth
  /**
   * Name of the app decorator holding the preHandler that requires a token. Default `authenticate`; rename it when
   * the app already has one (the @fastify/jwt README teaches writing `app.decorate('authenticate', ...)`), or false
   * for none. `app.authgate.requireAuth` is the same preHandler under every setting.
   */
  authenticateDecorator?: string | false
  /** Deprecated alias, TODO(next-major) remove: use auth.prefix. */
  prefix?: string
  /** Deprecated alias, TODO(next-major) remove: use auth.jwksPath. */
  jwksPath?: string | false
  /** Deprecated alias, TODO(next-major) remove: use auth.registration. */
  registration?: boolean
  /** Deprecated alias, TODO(next-major) remove: use auth.defaultRoles. */
  defaultRoles?: string[]
  /** Deprecated alias, TODO(next-major) remove: use auth.allowedOrigins. */
  allowedOrigins?: string[]
  /** Deprecated alias, TODO(next-major) remove: use auth.publicOrigin. */
  publicOrigin?: string | false
  /** Deprecated alias, TODO(next-major) remove: use auth.reuseDetection. */
  reuseDetection?: 'revoke' | 'report'
  /** Deprecated alias, TODO(next-major) remove: use revocation.failClosedAfter. */
  revocationFailClosedAfter?: Duration
}

export interface RevocationInput {
  /**
   * 'auto' (default): where the MongoDB store's server has change streams (a replica set or a sharded cluster,
   * detected with `hello`), revocations arrive by change stream in about a second, and polling goes on every
   * 6 × `tokens.revocationDelay` as a safety net (every `revocationDelay` whenever the stream is down). Elsewhere
   * (FerretDB, a standalone server, the memory store) polling every `revocationDelay`. false: polling only.
   */
  changeStreams?: 'auto' | false
  /** When set, Bearer checks answer 503 once the revocation list has been unable to sync for this long. */
  failClosedAfter?: Duration
}

export interface NormalisedOptions {
  store: StoreOption | undefined
  tokens: TokenOptions
  /** Set with tokens.keyRing: `tokens.keys` is then empty and the keys come from the ring. */
  keyRing: NormalisedKeyRing | undefined
  /** tokens.trustedIssuers, checked; empty when none. */
  trustedIssuers: NormalisedTrustedIssuer[]
  refreshTtlMs: number
  idleTimeoutMs: number
  reuseGraceMs: number
  revocationDelayMs: number
  cookie: { name: string, deviceName: string, secure: boolean, sameSite: 'strict' | 'lax' | 'none', path: string }
  prefix: string
  jwksPath: string | false
  registration: boolean
  defaultRoles: string[]
  allowedOrigins: ReadonlySet<string>
  publicOrigin: string | false | undefined
  reuseDetection: 'revoke' | 'report'
  rateLimit: NormalisedRateLimit | false
  verifyCredentials: VerifyCredentials | undefined
  refreshUser: { lookup: RefreshUser, intervalMs: number } | undefined
  events: AuthgateEventHooks
  metrics: MetricsRegistry | undefined
  revocationFailClosedAfterMs: number | undefined
  revocationChangeStreams: 'auto' | false
  /** `oidc`, checked; undefined: no OIDC routes. */
  oidc: NormalisedOidc | undefined
  defaultAuth: DefaultRouteAuth
  authenticateDecorator: string | false
  /** `users.source: upstream`: the legacy login the plugin asks (users/legacy.ts); undefined otherwise. */
  legacyUsers: LegacyUsersConfig | undefined
  newDeviceWebhook: string | undefined
  /** `notifications`, normalised: what the new-IP watch (notifications/ip-watch.ts) needs. */
  /** memoryMs false: notifications.ipMemory false (no watch, nothing stored). */
  newIp: { webhook: string | undefined, memoryMs: number | false, prefix: IpPrefix }
  /** Password reset, change and email verification (http/routes/recovery.ts). */
  recovery: NormalisedRecovery
  /** `audit`, normalised; retentionMs false: no trail. */
  audit: { retentionMs: number | false, queueSize: number }
  /**
   * `admin`, normalised. `explicit`: the option was given (a store without the admin methods is then refused at
   * registration instead of leaving the admin API out).
   */
  admin: { roles: string[], grantableRoles: string[] | undefined, explicit: boolean }
  /** One line per deprecated option used (logged at registration). */
  warnings: string[]
}

