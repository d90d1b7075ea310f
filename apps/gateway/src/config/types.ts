// The validated, frozen gateway configuration (DESIGN.md "Gateway"). Built by parseConfig()/loadConfig(); buildApp()
// reads nothing else (never process.env). Durations are milliseconds; paths are absolute.
import type { AccessAlgorithm, KeyEncryptionKey, KeyInput, OidcInput, TrustedIssuerInput } from '@authgate/fastify'

export type RouteAuth = 'none' | 'optional' | 'required'

export interface RouteConfig {
  /** Path prefix, case-sensitive, matched on segment boundaries on the normalised path; `/` catches everything. */
  readonly prefix: string
  /** `http(s)://host:port[/base]` of the upstream service. */
  readonly upstream: string
  readonly auth: RouteAuth
  /** Any-of: the user needs one of these roles (implies a token). Empty: no role needed. */
  readonly roles: readonly string[]
  /**
   * Time from the request's arrival at the route's gate (after authentication) to the upstream's response headers,
   * the wait for a slot included; the client's upload of a request body is not counted (undici restarts its headers
   * timer once the body is sent: requestTimeout and minBodyRate bound the upload). Also the longest pause between
   * response body chunks. Then 504.
   */
  readonly timeoutMs: number
  /** Upstream requests of this route in flight at once (its own slots in the upstream pool); as many more may wait. */
  readonly maxConcurrent: number
  readonly websocket: boolean
  /** Path the prefix is replaced with upstream (default: the prefix is kept). */
  readonly rewritePrefix: string | undefined
  /** Forward the client's Authorization header upstream (default false: the upstream gets the identity headers). */
  readonly forwardAuthorization: boolean
}

export interface IdentityHeaderNames {
  readonly userId: string
  readonly roles: string
  readonly sessionId: string
  readonly assertion: string
}

/** How refresh learns about a legacy user's changes (config/users-refresh.ts). */
export interface LegacyRefreshConfig {
  /** `recheck`: refresh asks `lookupUrl` who the user is now; `none`: the login's roles for the whole session. */
  readonly refresh: 'recheck' | 'none'
  readonly lookupUrl: string | undefined
  readonly recheckIntervalMs: number
}

/** One `headers.claims` entry (or one of `headers.preset`): the header set from a verified claim. */
export interface ClaimHeader {
  /** Lower-case header name. */
  readonly name: string
  /** Top-level claim name in the verified claims. */
  readonly claim: string
  /** Multi-valued (roles, groups): forwarded comma-joined, so no member may hold a comma. */
  readonly list: boolean
}

export interface HeaderLists {
  /** Added to the default drop-list: lower-case names, or families ending in `*` (`x-internal-*`). */
  readonly drop: readonly string[]
  /** Names of the default drop-list let through (never the identity, forwarding or hop-by-hop headers). */
  readonly pass: readonly string[]
}

export type UsersConfig =
  | { readonly source: 'builtin' }
  | {
    readonly source: 'upstream'
    readonly url: string
    /** Dot paths into the legacy login's JSON answer. */
    readonly map: { readonly id: string, readonly roles: string | undefined, readonly email: string | undefined }
    readonly timeoutMs: number
  } & LegacyRefreshConfig

export interface RateLimitRuleConfig {
  readonly max: number
  readonly timeWindowMs: number
}

/** undefined members: the plugin's defaults. */
export interface RateLimitConfig {
  /** `redis://` URL shared by every instance; undefined: limits per process. */
  readonly redis: string | undefined
  readonly keyPrefix: string | undefined
  readonly login: RateLimitRuleConfig | undefined
  readonly refresh: RateLimitRuleConfig | undefined
  readonly register: RateLimitRuleConfig | undefined
  readonly accountFailures: RateLimitRuleConfig | undefined
}

export interface GatewayConfig {
  /** The file the configuration came from, for messages; undefined for a programmatic one. */
  readonly file: string | undefined
  readonly server: {
    readonly host: string
    readonly port: number
    /** false: forwarding headers come from the socket. true / addresses / hop count: as Fastify's trustProxy. */
    readonly trustProxy: boolean | string | readonly string[] | number
    readonly workers: number
    readonly bodyLimit: number
    /** Longest a client may take to send a request head (slowloris): then 408 and the connection is closed. */
    readonly headersTimeoutMs: number
    /**
     * The origin browsers reach the gateway at. The cookie endpoints' CSRF check compares Origin with it (and
     * auth.allowedOrigins), never with Host or X-Forwarded-Host. Undefined: the Host header without trustProxy;
     * with trustProxy, only auth.allowedOrigins.
     */
    readonly publicOrigin: string | undefined
    /** Longest request target accepted; a longer one is answered 414 before any other work. */
    readonly maxUrlLength: number
    /** Longest a client may take to send a whole request, body included, from its arrival: then 408 and closed. */
    readonly requestTimeoutMs: number
    /** A request body slower than this on average (after the grace period) gets 408 and is closed; 0: off. */
    readonly minBodyRate: { readonly bytesPerSecond: number, readonly graceMs: number }
    /** A connection on which the client takes no bytes for this long (it stopped reading, or sits idle) is dropped. */
    readonly idleTimeoutMs: number
  }
  readonly log: { readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' }
  /** undefined: the in-memory store (sessions vanish on restart). */
  readonly store: { readonly mongodb: { readonly url: string, readonly database: string } } | undefined
  readonly tokens: {
    readonly algorithm: AccessAlgorithm | undefined
    /** Absolute; resolved against the config file's directory. Exclusive with `keys`. */
    readonly keysDir: string | undefined
    /** Programmatic configurations only (tests, the embedded default): keys in memory. */
    readonly keys: readonly KeyInput[] | undefined
    /** `database`: the signing-key ring in store.mongodb (`authgate keys rotate`); exclusive with keysDir/keys. */
    readonly keyStore: 'database' | undefined
    /** Required with keyStore: database. Serialises as "[redacted]". */
    readonly keyEncryptionKey: KeyEncryptionKey | undefined
    /** How often each instance reads the key ring (also the JWKS max-age). */
    readonly keyRefreshMs: number
    readonly issuer: string
    /** Identity providers whose bearer tokens are accepted too (checked by the plugin's rules; README "Trusted issuers"). */
    readonly trustedIssuers: readonly TrustedIssuerInput[] | undefined
    readonly audience: string
    readonly accessTtlMs: number
    readonly refreshTtlMs: number
    readonly reuseGraceMs: number
    readonly revocationDelayMs: number
    readonly clockToleranceMs: number | undefined
    /** Longest lifetime `authgate token --ttl` may mint (default accessTtl). */
    readonly maxTtlMs: number | undefined
  }
  readonly cookie: {
    readonly name: string
    readonly deviceName: string
    readonly secure: boolean
    readonly sameSite: 'strict' | 'lax' | 'none'
  }
  readonly notifications: { readonly newDeviceWebhook: string | undefined }
  readonly routes: readonly RouteConfig[]
  readonly users: UsersConfig
  readonly headers: IdentityHeaderNames
  /** `headers.claims` and `headers.preset`: verified claims forwarded as headers (config/claim-headers.ts). */
  readonly claimHeaders: readonly ClaimHeader[]
  /** `auth.verifyPath`: the forward-auth endpoint (forward-auth.ts), under the auth prefix; false: not served. */
  readonly verifyPath: string | false
  /** `headers.drop` / `headers.pass` of the file: the untrusted request headers removed before proxying. */
  readonly headerLists: HeaderLists
  /** POST /auth/register on or off (default off in the gateway: `auth.registration: true` opens it). */
  readonly registration: boolean
  readonly allowedOrigins: readonly string[]
  /** false: no limits at all (benchmarks, or a limiter in front of the gateway). */
  readonly rateLimit: RateLimitConfig | false
  /** Sign-in through OpenID Connect providers (the plugin's `oidc` option, checked by its rules); undefined: off. */
  readonly oidc: OidcInput | undefined
}

/** A configuration that cannot be used: `message` names the file and the key. */
export class ConfigError extends Error {
  readonly code = 'AUTHGATE_CONFIG_INVALID'
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ConfigError'
  }
}
