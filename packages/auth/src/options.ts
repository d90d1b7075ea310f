// AuthgateOptions → NormalisedOptions, once, at registration (before anything is decorated). Every error names the
// option path, so a misconfigured app fails `app.ready()` with a message that says what to fix. Defaults are the
// safe ones of DESIGN.md: 15 min access tokens, 30 day refresh sessions, 10 s reuse grace, Secure + SameSite=Strict.
import type { FastifyRequest } from 'fastify'
import { loadKeysDir } from './tokens/keys.js'
import { checkAlgorithm } from './tokens/key-material.js'
import { isRoleList } from './tokens/claims.js'
import type { AccessAlgorithm, KeyInput, TokenOptions } from './tokens/types.js'
import { parseKeyEncryptionKey, type KeyEncryptionKey } from './tokens/key-ring-crypto.js'
import { DEFAULT_KEY_REFRESH_MS } from './tokens/key-ring-service.js'
import { isKeyRingStore, type KeyRingStore } from './stores/signing-keys.js'
import type { StoreOption } from './stores/index.js'
import type { AuthgateEventHooks } from './events.js'
import { normaliseDefaultAuth, type DefaultRouteAuth } from './route-policy/index.js'
import type { Redis } from 'ioredis'
import { isRedisClient } from './rate-limit-redis.js'
import { cookiePrefixOf } from './cookie-prefix.js'
import { normaliseTrustedIssuers, type NormalisedTrustedIssuer, type TrustedIssuerInput } from './tokens/trusted-issuers/index.js'
import { normaliseOidc, type NormalisedOidc } from './oidc/options.js'
import type { OidcInput } from './oidc/schema.js'

/** Seconds, or a string like `'15m'`, `'30d'`, `'10s'`, `'500ms'`. */
export type Duration = number | string

export interface TokensInput {
  /** Default: the algorithm of the first key (the signing key of a keysDir), else EdDSA. */
  algorithm?: AccessAlgorithm
  /** The key set (see KeyInput); or `keysDir`, a directory written by `authgate keygen` / writeKeysDir. */
  keys?: KeyInput[]
  keysDir?: string
  signingKid?: string
  issuer?: string
  audience?: string
  /** Access-token lifetime. Default 15m. */
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

export interface VerifiedUser {
  id: string
  email?: string
  roles?: string[]
}

/**
 * Replaces the built-in users collection (e.g. a legacy login). Resolve the user, or null for wrong credentials;
 * throw AuthError AUTH_STORE_UNAVAILABLE (or anything else: also a 503) when the user source cannot answer.
 */
export type VerifyCredentials = (email: string, password: string, request: FastifyRequest) => Promise<VerifiedUser | null>

/** What `refreshUser` is told about the session being refreshed. */
export interface RefreshUserSession {
  id: string
  userId: string
  email: string | null
  /** The roles the session was created with at login (later refreshUser answers are not stored in the session). */
  roles: string[]
  createdAt: Date
}

/**
 * With `verifyCredentials`: asks the user source again, at refresh, who the user is now. Resolve the current user
 * (same id; its roles reach the new access token), or null when the source no longer knows the user: every session
 * of the user is then revoked and the refresh answers 401. Throw AuthError AUTH_STORE_UNAVAILABLE (or anything
 * else: also a 503, the session is kept) when the source cannot answer.
 */
export type RefreshUser = (userId: string, session: RefreshUserSession) => Promise<VerifiedUser | null>

export interface AuthgateOptions {
  /** `{ mongodb: { url | client, database } }`, `{ memory: true }` (default, with a warning) or a SessionStore. */
  store?: StoreOption
  tokens: TokensInput
  cookie?: CookieInput
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
  /** false disables the built-in limits (only when something in front of the app limits instead). */
  rateLimit?: RateLimitInput | false
  verifyCredentials?: VerifyCredentials
  /**
   * Re-resolves the user at refresh (needs `verifyCredentials`). Without it, a session keeps the roles of its login
   * for its whole lifetime, and a user deleted at the source keeps refreshing.
   */
  refreshUser?: RefreshUser
  /** How often refreshUser is asked per session (the login counts as the first answer). Default 5m; 0: every refresh. */
  refreshUserInterval?: Duration
  events?: AuthgateEventHooks
  /** When set, Bearer checks answer 503 once the revocation list has been unable to sync for this long. */
  revocationFailClosedAfter?: Duration
  /** How revocations reach this instance (see RevocationInput). */
  revocation?: RevocationInput
  /** Sign-in through OpenID Connect providers: /auth/oidc/:provider/login and /callback (see the README, "OIDC sign-in"). */
  oidc?: OidcInput
  /**
   * What a route without `config.auth` (and without a rule such as `config.roles`) gets: 'none' (default, public)
   * or 'required' (deny by default: a route is public only when it says `auth: 'none'`).
   */
  defaultAuth?: DefaultRouteAuth
}

export interface RevocationInput {
  /**
   * 'auto' (default): where the MongoDB store's server has change streams (a replica set or a sharded cluster,
   * detected with `hello`), revocations arrive by change stream in about a second, and polling goes on every
   * 6 × `tokens.revocationDelay` as a safety net (every `revocationDelay` whenever the stream is down). Elsewhere
   * (FerretDB, a standalone server, the memory store) polling every `revocationDelay`. false: polling only.
   */
  changeStreams?: 'auto' | false
}

export interface NormalisedRule { max: number, timeWindowMs: number }

export interface NormalisedRateLimit {
  login: NormalisedRule
  refresh: NormalisedRule
  register: NormalisedRule
  accountFailures: NormalisedRule
  /** undefined: per-process limits. */
  redis: Redis | string | undefined
  keyPrefix: string
}

export interface NormalisedOptions {
  store: StoreOption | undefined
  tokens: TokenOptions
  /** Set when `tokens.keysDir` could not be read: the app starts, and signing and verifying answer 503. */
  keysError: string | undefined
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
  revocationFailClosedAfterMs: number | undefined
  revocationChangeStreams: 'auto' | false
  /** `oidc`, checked; undefined: no OIDC routes. */
  oidc: NormalisedOidc | undefined
  defaultAuth: DefaultRouteAuth
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/

/** Milliseconds of a Duration (numbers are seconds). */
export function parseDuration (value: unknown, path: string): number {
  let ms: number
  if (typeof value === 'number') ms = value * 1000
  else if (typeof value === 'string' && DURATION.test(value.trim())) {
    const [, amount, unit] = DURATION.exec(value.trim()) as unknown as [string, string, string]
    ms = Number(amount) * (UNITS[unit] ?? Number.NaN)
  } else throw new Error(`${path} must be a number of seconds or a string like '15m', '30d', '10s'`)
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`${path} must be a finite, non-negative duration`)
  return Math.round(ms)
}

function duration (value: unknown, fallback: Duration, path: string, min: number, max: number): number {
  const ms = parseDuration(value ?? fallback, path)
  if (ms < min || ms > max) throw new Error(`${path} must be between ${min / 1000} s and ${max / 1000} s`)
  return ms
}

function wholeSeconds (ms: number, path: string): number {
  if (ms % 1000 !== 0) throw new Error(`${path} must be a whole number of seconds`)
  return ms / 1000
}

function bool (value: unknown, fallback: boolean, path: string): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new Error(`${path} must be a boolean`)
  return value
}

function text (value: unknown, fallback: string, path: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${path} must be a non-empty string`)
  return value
}

function rule (value: RateLimitRule | undefined, fallback: RateLimitRule, path: string): NormalisedRule {
  const input = value ?? fallback
  if (typeof input !== 'object') throw new Error(`${path} must be an object { max, timeWindow }`)
  if (!Number.isSafeInteger(input.max) || input.max < 1) throw new Error(`${path}.max must be a whole number, at least 1`)
  return { max: input.max, timeWindowMs: duration(input.timeWindow, fallback.timeWindow, `${path}.timeWindow`, 1000, 86_400_000) }
}

const RATE_LIMIT_KEYS = ['login', 'refresh', 'register', 'accountFailures', 'redis', 'keyPrefix']

function normaliseRateLimit (limits: RateLimitInput | undefined): NormalisedRateLimit {
  // A misspelt key (`redisUrl`) would otherwise leave the limits per process without a word.
  for (const key of Object.keys(limits ?? {})) {
    if (!RATE_LIMIT_KEYS.includes(key)) throw new Error(`rateLimit.${key} is not an option (${RATE_LIMIT_KEYS.join(', ')})`)
  }
  const redis = limits?.redis
  if (typeof redis === 'string') {
    let url: URL | undefined
    try { url = new URL(redis) } catch { url = undefined }
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) throw new Error('rateLimit.redis must be a redis:// or rediss:// URL, or an ioredis client')
  } else if (redis !== undefined && !isRedisClient(redis)) throw new Error('rateLimit.redis must be a redis:// or rediss:// URL, or an ioredis client')
  const keyPrefix = text(limits?.keyPrefix, 'authgate:', 'rateLimit.keyPrefix')
  if (keyPrefix.length > 100) throw new Error('rateLimit.keyPrefix must be at most 100 characters')
  return {
    login: rule(limits?.login, { max: 30, timeWindow: '1m' }, 'rateLimit.login'),
    refresh: rule(limits?.refresh, { max: 300, timeWindow: '1m' }, 'rateLimit.refresh'),
    register: rule(limits?.register, { max: 10, timeWindow: '1m' }, 'rateLimit.register'),
    accountFailures: rule(limits?.accountFailures, { max: 5, timeWindow: '15m' }, 'rateLimit.accountFailures'),
    redis,
    keyPrefix
  }
}

function normalisePrefix (value: unknown): string {
  const prefix = text(value, '/auth', 'prefix')
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) throw new Error('prefix must be a path like /auth (no trailing slash)')
  return prefix
}

/**
 * `origin` as `scheme://host[:port]` (http or https; host lower-cased, a default port dropped), or an Error naming
 * `path`: a path, query, fragment or credentials are refused. One reading of an origin for the plugin's options and
 * the gateway's `server.publicOrigin`.
 */
export function normaliseOrigin (origin: unknown, path: string): string {
  if (typeof origin !== 'string') throw new Error(`${path} must be a string`)
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    throw new Error(`${path} must be an origin like https://app.example.com`)
  }
  const extra = url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || /[?#]/.test(origin)
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || extra) throw new Error(`${path} must be an origin (scheme://host[:port]), without a path`)
  return url.origin
}

function normaliseOrigins (value: unknown): Set<string> {
  if (value === undefined) return new Set()
  if (!Array.isArray(value)) throw new Error('allowedOrigins must be an array of origins')
  return new Set(value.map((origin: unknown, index) => normaliseOrigin(origin, `allowedOrigins[${index}]`)))
}

type NormalisedTokens = Pick<NormalisedOptions, 'tokens' | 'keysError' | 'keyRing' | 'trustedIssuers' | 'refreshTtlMs' | 'idleTimeoutMs' | 'reuseGraceMs' | 'revocationDelayMs'>

function normaliseTokens (input: TokensInput): NormalisedTokens {
  if (typeof input !== 'object') throw new Error('tokens must be an object')
  let keys: KeyInput[]
  let keysError: string | undefined
  if (input.keys !== undefined && input.keysDir !== undefined) throw new Error('tokens.keys and tokens.keysDir are exclusive: give one')
  const keyRing = input.keyRing === undefined ? undefined : normaliseKeyRing(input)
  if (keyRing !== undefined) {
    // The ring's current key decides the signing algorithm; tokens.algorithm is what `keys rotate` generates.
    keys = []
  } else if (input.keysDir !== undefined) {
    if (typeof input.keysDir !== 'string' || input.keysDir.length === 0) throw new Error('tokens.keysDir must be a directory path')
    try {
      keys = loadKeysDir(input.keysDir)
    } catch (error) {
      // DESIGN.md: keys that cannot be loaded make verification answer 503, not 401 (an outage is not a logout).
      keys = []
      keysError = `tokens.keysDir: ${(error as Error).message}`
    }
  } else if (Array.isArray(input.keys)) {
    keys = input.keys
  } else throw new Error('tokens.keys (an array of keys) or tokens.keysDir is required')
  // Without an explicit algorithm, the signing key decides (the first key, as loadKeysDir puts the signing key first).
  const algorithm = checkAlgorithm(input.algorithm ?? keys[0]?.algorithm ?? 'EdDSA', 'tokens.algorithm')
  const accessTtlMs = duration(input.accessTtl, '15m', 'tokens.accessTtl', 1000, 86_400_000)
  const refreshTtlMs = duration(input.refreshTtl, '30d', 'tokens.refreshTtl', 60_000, 400 * 86_400_000)
  const idleTimeoutMs = duration(input.idleTimeout, refreshTtlMs / 1000, 'tokens.idleTimeout', 60_000, refreshTtlMs)
  const tokens: TokenOptions = {
    algorithm,
    keys,
    issuer: text(input.issuer, 'authgate', 'tokens.issuer'),
    audience: text(input.audience, 'authgate', 'tokens.audience'),
    accessTtl: wholeSeconds(accessTtlMs, 'tokens.accessTtl'),
    clockTolerance: duration(input.clockTolerance, '30s', 'tokens.clockTolerance', 0, 300_000) / 1000
  }
  if (input.signingKid !== undefined) tokens.signingKid = input.signingKid
  if (input.maxTtl !== undefined) tokens.maxTtl = wholeSeconds(duration(input.maxTtl, '15m', 'tokens.maxTtl', 1000, 366 * 86_400_000), 'tokens.maxTtl')
  return {
    tokens,
    keysError,
    keyRing,
    trustedIssuers: normaliseTrustedIssuers(input.trustedIssuers, tokens.issuer),
    refreshTtlMs,
    idleTimeoutMs,
    reuseGraceMs: duration(input.reuseGrace, '10s', 'tokens.reuseGrace', 0, 60_000),
    revocationDelayMs: duration(input.revocationDelay, '5s', 'tokens.revocationDelay', 100, 300_000)
  }
}

function normaliseKeyRing (input: TokensInput): NormalisedKeyRing {
  const ring = input.keyRing
  if (typeof ring !== 'object' || (ring as KeyRingInput | null) === null) throw new Error('tokens.keyRing must be an object { store, keyEncryptionKey, refreshInterval }')
  if (input.keys !== undefined || input.keysDir !== undefined) throw new Error('tokens.keyRing is exclusive with tokens.keys and tokens.keysDir: give one')
  if (input.signingKid !== undefined) throw new Error('tokens.signingKid does not apply to tokens.keyRing (the ring\'s current key signs)')
  if (ring.store !== 'database' && !isKeyRingStore(ring.store)) throw new Error('tokens.keyRing.store must be \'database\' or a KeyRingStore')
  return {
    store: ring.store,
    kek: parseKeyEncryptionKey(ring.keyEncryptionKey, 'tokens.keyRing.keyEncryptionKey'),
    refreshMs: duration(ring.refreshInterval, `${DEFAULT_KEY_REFRESH_MS / 1000}s`, 'tokens.keyRing.refreshInterval', 50, 300_000)
  }
}

function normaliseChangeStreams (input: unknown): 'auto' | false {
  if (input === undefined) return 'auto'
  if (typeof input !== 'object' || input === null) throw new Error('revocation must be an object { changeStreams }')
  // Untyped configuration (YAML, JSON) may hold anything here.
  const value: unknown = (input as { changeStreams?: unknown }).changeStreams ?? 'auto'
  if (value === 'auto' || value === false) return value
  throw new Error('revocation.changeStreams must be "auto" or false')
}

function normaliseRefreshUser (input: AuthgateOptions): NormalisedOptions['refreshUser'] {
  if (input.refreshUser === undefined) {
    if (input.refreshUserInterval !== undefined) throw new Error('refreshUserInterval needs refreshUser')
    return undefined
  }
  if (typeof input.refreshUser !== 'function') throw new Error('refreshUser must be a function')
  // Users of the built-in collection are read again at every refresh already.
  if (input.verifyCredentials === undefined) throw new Error('refreshUser needs verifyCredentials (it re-asks the same user source)')
  return { lookup: input.refreshUser, intervalMs: duration(input.refreshUserInterval, '5m', 'refreshUserInterval', 0, 86_400_000) }
}

/** Roles a newly registered user gets unless `defaultRoles` says otherwise. */
export const DEFAULT_ROLES: readonly string[] = Object.freeze(['user'])

export function normaliseOptions (input: AuthgateOptions): NormalisedOptions {
  // Options may come from untyped configuration (YAML, JSON): every check holds at run time too.
  if (typeof input !== 'object' || (input as unknown) === null) throw new Error('@authgate/fastify options must be an object')
  const prefix = normalisePrefix(input.prefix)
  const cookie = input.cookie ?? {}
  const secure = bool(cookie.secure, true, 'cookie.secure')
  const sameSite = cookie.sameSite ?? 'strict'
  if (!['strict', 'lax', 'none'].includes(sameSite)) throw new Error('cookie.sameSite must be "strict" | "lax" | "none"')
  if (sameSite === 'none' && !secure) throw new Error('cookie.sameSite "none" requires cookie.secure')
  const name = text(cookie.name, 'authgate_rt', 'cookie.name')
  const deviceName = text(cookie.deviceName, 'authgate_did', 'cookie.deviceName')
  if (!COOKIE_NAME.test(name)) throw new Error('cookie.name must be a cookie token (letters, digits, !#$%&\'*+-.^_`|~)')
  if (!COOKIE_NAME.test(deviceName) || deviceName === name) throw new Error('cookie.deviceName must be a cookie token other than cookie.name')
  // Browsers drop a `__Host-`/`__Secure-` cookie without Secure: sign-in would then silently never stick.
  for (const [key, value] of [['cookie.name', name], ['cookie.deviceName', deviceName]] as const) {
    if (cookiePrefixOf(value) !== undefined && !secure) throw new Error(`${key} with a __Host- or __Secure- prefix requires cookie.secure`)
  }
  const reuseDetection = input.reuseDetection ?? 'revoke'
  if (!(['revoke', 'report'] as unknown[]).includes(reuseDetection)) throw new Error('reuseDetection must be "revoke" | "report"')
  const jwksPath = input.jwksPath === false ? false : text(input.jwksPath, '/.well-known/jwks.json', 'jwksPath')
  if (jwksPath !== false && !jwksPath.startsWith('/')) throw new Error('jwksPath must start with /')
  const roles = input.defaultRoles ?? DEFAULT_ROLES
  if (!isRoleList(roles)) throw new Error('defaultRoles must be an array of role names (no commas or control characters)')
  if (input.verifyCredentials !== undefined && typeof input.verifyCredentials !== 'function') throw new Error('verifyCredentials must be a function')
  const refreshUser = normaliseRefreshUser(input)
  const events = input.events ?? {}
  for (const [key, hook] of Object.entries(events)) {
    if (!['newDevice', 'refreshReuse', 'login', 'logout'].includes(key)) throw new Error(`events.${key} is not an event (newDevice, refreshReuse, login, logout)`)
    if (typeof hook !== 'function') throw new Error(`events.${key} must be a function`)
  }
  const limits = input.rateLimit
  if (limits !== undefined && limits !== false && typeof limits !== 'object') throw new Error('rateLimit must be an object or false')
  return {
    store: input.store,
    ...normaliseTokens(input.tokens),
    cookie: { name, deviceName, secure, sameSite, path: prefix },
    prefix,
    jwksPath,
    registration: bool(input.registration, true, 'registration'),
    defaultRoles: [...roles],
    allowedOrigins: normaliseOrigins(input.allowedOrigins),
    publicOrigin: input.publicOrigin === undefined || input.publicOrigin === false ? input.publicOrigin : normaliseOrigin(input.publicOrigin, 'publicOrigin'),
    reuseDetection,
    rateLimit: limits === false ? false : normaliseRateLimit(limits),
    verifyCredentials: input.verifyCredentials,
    refreshUser,
    events,
    revocationFailClosedAfterMs: input.revocationFailClosedAfter === undefined ? undefined : parseDuration(input.revocationFailClosedAfter, 'revocationFailClosedAfter'),
    revocationChangeStreams: normaliseChangeStreams(input.revocation),
    oidc: normaliseOidc(input.oidc),
    defaultAuth: normaliseDefaultAuth(input.defaultAuth)
  }
}
