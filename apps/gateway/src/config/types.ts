// The validated, frozen gateway configuration (docs/design.md#gateway). Built by parseConfig()/loadConfig(); buildApp()
// reads nothing else (never process.env). Durations are milliseconds; paths are absolute.
import type { AdminInput, AuditInput, AuthInput, CookieInput, MailInput, NotificationsInput, OidcInput, RateLimitInput, TokensInput, UsersInput } from '@authgate/fastify/config'
import type { CorsConfig } from './cors.js'
import type { HeadersInput, LogInput, RouteInput, ServerInput } from './schema.js'

/** `tracing`, when an endpoint is set: spans go to `tracesUrl` (OTLP/HTTP, JSON). */
export interface TracingConfig {
  /** The full URL spans are POSTed to (…/v1/traces). */
  readonly tracesUrl: string
  readonly serviceName: string
  /** Share of requests traced, 0 to 1. */
  readonly sampleRatio: number
}

export type RouteAuth = RouteInput['auth']

/** Where the gateway's own rules that span keys report a problem: one `path: reason` line of the list parseConfig throws. */
export type Report = (path: string, reason: string) => void

/** One `routes` entry as the schema describes it, with `timeout` in milliseconds. */
export type RouteConfig = Readonly<Omit<RouteInput, 'timeout' | 'roles' | 'rewritePrefix'> & {
  /** Any-of: the user needs one of these roles (implies a token). Empty: no role needed. */
  readonly roles: readonly string[]
  /** Path the prefix is replaced with upstream; undefined: the prefix is kept. A required key, so no reader forgets it. */
  readonly rewritePrefix: string | undefined
  /**
   * Time from the request's arrival at the route's gate (after authentication) to the upstream's response headers,
   * the wait for a slot included; the client's upload of a request body is not counted (undici restarts its headers
   * timer once the body is sent: requestTimeout and minBodyRate bound the upload). Also the longest pause between
   * response body chunks. Then 504.
   */
  readonly timeoutMs: number
}>

export type IdentityHeaderNames = Readonly<Pick<HeadersInput, 'userId' | 'roles' | 'sessionId' | 'assertion'>>

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

/** The plugin's sections as the file gave them, defaults filled in: handed to the plugin as they are. */
export interface PluginSections {
  readonly store: { readonly mongodb: { readonly url: string, readonly database: string } } | undefined
  /** `keysDir` is absolute (resolved against the file's directory). */
  readonly tokens: Readonly<TokensInput> & { readonly issuer: string, readonly audience: string, readonly accessTtl: string | number, readonly clockTolerance: string | number, readonly revocationDelay: string | number, readonly reuseGrace: string | number }
  readonly cookie: Readonly<Required<CookieInput>>
  /** false: no limits at all (benchmarks, or a limiter in front of the gateway). */
  readonly rateLimit: Readonly<RateLimitInput> | false
  readonly auth: Readonly<Pick<Required<AuthInput>, 'registration' | 'defaultRoles' | 'allowedOrigins' | 'reuseDetection' | 'requireVerifiedEmail' | 'resetTtl' | 'verifyTtl' | 'resetLinkPath' | 'verifyLinkPath'>>
  readonly users: Readonly<UsersInput> & { readonly source: 'builtin' | 'upstream' }
  readonly notifications: Readonly<NotificationsInput>
  /** Mail of reset and verification links (SMTP, templates); undefined: links go to the events only. */
  readonly mail: Readonly<MailInput> | undefined
  /** The audit trail (retention, queue size), defaults filled in. */
  readonly audit: Readonly<AuditInput>
  /** The admin API: admin.roles (default [admin]) and admin.grantableRoles. */
  readonly admin: Readonly<AdminInput> & { readonly roles: readonly string[] }
  /** Sign-in through OpenID Connect providers; undefined: off. */
  readonly oidc: Readonly<OidcInput> | undefined
}

/** Milliseconds of the token durations the gateway's own tools need (`authgate token`, `keys`, warnings). */
export interface TokenTimes {
  readonly accessTtlMs: number
  readonly maxTtlMs: number
  readonly clockToleranceMs: number
  readonly revocationDelayMs: number
  readonly reuseGraceMs: number
  /** With tokens.keyRing: how often it is read. */
  readonly keyRefreshMs: number
}

/** The plugin's sections (handed to it as they are) and the gateway's own, in the forms its parts use. */
export interface GatewayConfig extends PluginSections {
  /** The file the configuration came from, for messages; undefined for a programmatic one. */
  readonly file: string | undefined
  /** One line per deprecated key used (`tokens.keyStore is deprecated: use tokens.keyRing.store`), logged at start. */
  readonly deprecations: readonly string[]
  /** The schema's `server` with durations in milliseconds and `workers` counted. */
  readonly server: Readonly<Pick<ServerInput, 'host' | 'port' | 'bodyLimit' | 'maxUrlLength'>> & {
    /** false: forwarding headers come from the socket. true / addresses / hop count: as Fastify's trustProxy. */
    readonly trustProxy: boolean | string | readonly string[] | number
    readonly workers: number
    /** Longest a client may take to send a request head (slowloris): then 408 and the connection is closed. */
    readonly headersTimeoutMs: number
    /**
     * The origin browsers reach the gateway at. The cookie endpoints' CSRF check compares Origin with it (and auth.allowedOrigins), never with Host or
     * X-Forwarded-Host. Undefined: the Host header without trustProxy; with trustProxy, only auth.allowedOrigins.
     */
    readonly publicOrigin: string | undefined
    /** Longest a client may take to send a whole request, body included, from its arrival: then 408 and closed. */
    readonly requestTimeoutMs: number
    /** A request body slower than this on average (after the grace period) gets 408 and is closed; 0: off. */
    readonly minBodyRate: { readonly bytesPerSecond: number, readonly graceMs: number }
    /** A connection on which the client takes no bytes for this long (it stopped reading, or sits idle) is dropped. */
    readonly idleTimeoutMs: number
    /** `server.ops`: where /healthz, /readyz and /metrics are served instead of the public listener; undefined: there. */
    readonly ops: { readonly host: string, readonly port: number } | undefined
  }
  readonly log: Readonly<LogInput>
  /** OpenTelemetry tracing; undefined: off (no OpenTelemetry module is loaded). */
  readonly tracing: TracingConfig | undefined
  readonly tokenTimes: TokenTimes
  readonly routes: readonly RouteConfig[]
  readonly headers: IdentityHeaderNames
  /** `headers.claims` and `headers.preset`: verified claims forwarded as headers (config/claim-headers.ts). */
  readonly claimHeaders: readonly ClaimHeader[]
  /** `auth.verifyPath`: the forward-auth endpoint (forward-auth.ts), under the auth prefix; false: not served. */
  readonly verifyPath: string | false
  /** `headers.drop` / `headers.pass` of the file: the untrusted request headers removed before proxying. */
  readonly headerLists: HeaderLists
  /** POST /auth/register on or off (default off in the gateway: `auth.registration: true` opens it). */
  readonly registration: boolean
  /**
   * The origins the CSRF check of the cookie endpoints admits, and those an OIDC `returnTo` URL may name (the plugin's
   * allowedOrigins serve both): `auth.allowedOrigins` when the file sets it, else `cors.origins` when
   * `cors.credentials` is true (config/cors.ts csrfOrigins), else none.
   */
  readonly allowedOrigins: readonly string[]
  /** `cors`: which browser origins get Access-Control-* answers (cors.ts); undefined: none, and preflights are not answered. */
  readonly cors: CorsConfig | undefined
}

/** A configuration that cannot be used: `message` names the file and the key. */
export class ConfigError extends Error {
  readonly code = 'AUTHGATE_CONFIG_INVALID'
  /** Every problem, one line each (`path: reason`), when the schema found them; else the message alone. */
  readonly issues: readonly string[]
  constructor (message: string, options?: { cause?: unknown, issues?: readonly string[] }) {
    super(message, options)
    this.name = 'ConfigError'
    this.issues = options?.issues ?? [message]
  }
}
