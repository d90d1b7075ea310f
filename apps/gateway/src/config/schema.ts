// The gateway's configuration file, described once: the plugin's own sections (store, tokens, cookie, rateLimit,
// auth, users, notifications, oidc, admin: reused from @authgate/fastify, never restated) and the gateway's own (server, log,
// routes, headers, cors). `authgate config schema` prints it; authgate.schema.json ships it for editors.
import { DurationKey, OneOf, Strict, Type, optionalDefaults, pluginSections, HTTP_URL_PATTERN, type Form, type Static, type TObject, type TSchema } from '@authgate/fastify/config'

/** The plugin sections a gateway file holds (the plugin's `revocation` is left at its defaults). */
export const PLUGIN_FILE_SECTIONS = ['store', 'tokens', 'cookie', 'rateLimit', 'auth', 'users', 'notifications', 'mail', 'audit', 'oidc', 'admin'] as const
/** The plugin's `auth` keys a gateway file may set; the prefix and JWKS path are the gateway's to fix. */
const AUTH_FILE_KEYS = ['registration', 'defaultRoles', 'allowedOrigins', 'reuseDetection', 'requireVerifiedEmail', 'resetTtl', 'verifyTtl', 'resetLinkPath', 'verifyLinkPath'] as const
export const DEFAULT_VERIFY_PATH = '/auth/verify'
/** Upstream requests one route may have in flight (its own slots in the upstream pool). */
export const DEFAULT_MAX_CONCURRENT = 64
/** What a route prefix must be: the schema's message for a bad pattern, and routes.ts's for a dot segment. */
export const PREFIX_EXPECTED = 'must be a path like /api (plain segments, no trailing slash, no dot segments)'
const HEADER_NAME = '^[A-Za-z0-9-]{1,64}$'
/** `/`, or plain path segments without a trailing slash: whatever the normaliser would refuse or rewrite never matches. */
const PLAIN_PATH = "(?:/|(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+)"
/** An HTTP token (RFC 9110 §5.6.2), compared lower-cased with `_` read as `-` (untrusted-headers.ts). */
const HEADER_TOKEN = "[!#$%&'+.^_`|~0-9A-Za-z-]{1,64}"
const MINUTE = 60_000
export const MAX_WORKERS = 64
/** 1 KiB/s after 10 s: a phone on a bad link passes, a body trickled to hold a connection open does not. */
export const DEFAULT_MIN_BODY_RATE = 1024
export const DEFAULT_MIN_BODY_GRACE = '10s'
export const DEFAULT_REQUEST_TIMEOUT_MS = MINUTE
export const DEFAULT_SERVICE_NAME = 'authgate'
export const DEFAULT_OPS_PORT = 9090
/** An IPv4/IPv6 address or a DNS name: no scheme, path, port or space (a URL here would fail only at listen). */
const OPS_HOST = '^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$'

function serverSection () {
  return Type.Object({
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on.' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Port to listen on.' }),
    trustProxy: Type.Unsafe<boolean | number | string | string[]>({
      // '' (an empty AUTHGATE_SERVER_TRUST_PROXY=) must not read as "trust a proxy".
      type: ['boolean', 'integer', 'string', 'array'], minLength: 1, items: { type: 'string', minLength: 1 }, default: false,
      description: 'false: forwarding headers come from the socket. true, a hop count, or the proxy addresses (list or comma-separated): as Fastify\'s trustProxy.'
    }),
    // Typed as any string, not `'auto'`: the schema takes every string (a quoted '8', a ${VAR} word like 'many'), so
    // config/server.ts must read a count from it or refuse it, and the compiler should see that branch as reachable.
    workers: Type.Unsafe<number | string>({ type: ['integer', 'string'], default: 1, description: `Worker processes (1-${MAX_WORKERS}), or \`auto\`: one per core.` }),
    bodyLimit: Type.Integer({ minimum: 1024, maximum: 1_073_741_824, default: 1_048_576, description: 'Largest request body, bytes.' }),
    headersTimeout: DurationKey({ min: 500, max: 5 * MINUTE }, 'Longest a client may take to send a request head (slowloris): then 408.', '30s'),
    publicOrigin: Type.Optional(Type.String({ minLength: 1, description: 'The origin browsers reach the gateway at (scheme://host[:port]), for the CSRF check of the cookie endpoints.' })),
    maxUrlLength: Type.Integer({ minimum: 256, maximum: 65_536, default: 8192, description: 'Longest request target; longer ones get 414.' }),
    requestTimeout: Type.Optional(DurationKey({ min: 1000, max: 1440 * MINUTE }, `Longest a client may take to send a whole request, body included. Default: ${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s or headersTimeout if longer.`)),
    minBodyRate: Type.Unsafe<number | { bytesPerSecond: number, grace: string | number }>({
      type: ['integer', 'object'], minimum: 0, maximum: 1_073_741_824, default: DEFAULT_MIN_BODY_RATE,
      properties: {
        bytesPerSecond: { type: 'integer', minimum: 0, maximum: 1_073_741_824, default: DEFAULT_MIN_BODY_RATE, description: 'Bytes per second; 0: off.' },
        grace: { type: ['integer', 'string'], 'x-duration': { min: 0, max: 60 * MINUTE }, default: DEFAULT_MIN_BODY_GRACE, description: 'Time before the rate is enforced.' }
      },
      additionalProperties: false,
      description: `A request body slower than this on average (bytes per second, after the grace period: ${DEFAULT_MIN_BODY_GRACE}) gets 408; 0: off.`
    }),
    idleTimeout: DurationKey({ min: 500, max: 60 * MINUTE }, 'A connection on which the client takes no bytes for this long is dropped.', '60s'),
    ops: Type.Optional(Type.Object({
      host: Type.String({ pattern: OPS_HOST, 'x-expect': 'must be an IP address or a host name (127.0.0.1, ::1, localhost)', default: '127.0.0.1', description: 'Address of the operations listener (keep it internal).' }),
      port: Type.Integer({ minimum: 0, maximum: 65535, default: DEFAULT_OPS_PORT, description: 'Port of the operations listener (not server.port).' })
    }, { ...Strict, description: 'A second listener serving /healthz, /readyz and /metrics; when set, the public listener answers 404 for them.' }))
  }, { ...Strict, default: {}, description: 'The listening server.' })
}

function routeItem () {
  return Type.Object({
    // Dot segments are refused in code (dot-segments.ts): the pattern stays portable.
    prefix: Type.String({ pattern: `^${PLAIN_PATH}$`, 'x-expect': PREFIX_EXPECTED, description: 'Path prefix, matched on segment boundaries on the normalised path; / catches everything.' }),
    upstream: Type.String({ pattern: HTTP_URL_PATTERN, 'x-expect': 'must be an http:// or https:// URL', description: 'http(s)://host:port[/base] of the upstream service.' }),
    auth: OneOf(['none', 'optional', 'required'] as const, 'Who may pass: `none` (public), `optional` (identity forwarded when present) or `required`.', 'required'),
    roles: Type.Array(Type.String({ description: 'A role name: checked by the route policy (@authgate/fastify), which names a bad one.' }), { default: [], description: 'Any-of: the user needs one of these roles (a token is then needed even with auth: optional; refused with auth: none).' }),
    timeout: DurationKey({ min: 100, max: 60 * MINUTE }, 'From the request\'s arrival at the route to the upstream\'s response headers (also the longest pause between body chunks): then 504.', '30s'),
    websocket: Type.Boolean({ default: false, description: 'Proxy WebSocket upgrades, with the same policy.' }),
    rewritePrefix: Type.Optional(Type.String({ pattern: `^${PLAIN_PATH}$`, 'x-expect': 'must be a path like / or /v1', description: 'Path the prefix is replaced with upstream (default: kept).' })),
    forwardAuthorization: Type.Boolean({ default: false, description: 'Forward the client\'s Authorization header upstream.' }),
    maxConcurrent: Type.Integer({ minimum: 1, maximum: 4096, default: DEFAULT_MAX_CONCURRENT, description: 'Upstream requests of this route in flight at once; as many more may wait.' })
  }, { ...Strict, description: 'One upstream prefix.' })
}

function headersSection () {
  const name = (fallback: string, description: string) => Type.String({ pattern: HEADER_NAME, default: fallback, description })
  return Type.Object({
    userId: name('x-user-id', 'Header carrying the user id (sub).'),
    roles: name('x-user-roles', 'Header carrying the roles, comma-joined.'),
    sessionId: name('x-session-id', 'Header carrying the session id (sid).'),
    assertion: name('x-authgate-assertion', 'Header carrying the gateway-signed assertion JWT.'),
    drop: Type.Array(Type.String({ pattern: `^${HEADER_TOKEN}\\*?$`, 'x-expect': 'must be a header name, or a name prefix ending in * (x-internal-*)' }), { default: [], description: 'More request headers to remove before proxying (names, or families ending in *).' }),
    pass: Type.Array(Type.String({ pattern: `^${HEADER_TOKEN}$`, 'x-expect': 'must be a header name' }), { default: [], description: 'Headers of the default drop-list to let through.' }),
    claims: Type.Record(Type.String(), Type.String({ minLength: 1 }), { default: {}, description: 'Header name → claim name: verified claims forwarded as headers.' }),
    preset: Type.Optional(OneOf(['oauth2-proxy'] as const, '`oauth2-proxy`: the X-Auth-Request-* headers.'))
  }, { ...Strict, default: {}, description: 'Headers forwarded to upstreams and removed from clients.' })
}

/** A preflight answer browsers may reuse this long (Chromium caps it at 2 h, Firefox at 24 h). */
export const DEFAULT_CORS_MAX_AGE = '10m'

function corsSection () {
  return Type.Object({
    origins: Type.Array(Type.String({ minLength: 1, description: 'An origin, scheme://host[:port]: compared exactly with the browser\'s Origin (no wildcards, no suffixes, never `null`).' }), { minItems: 1, description: 'The origins whose pages may call the gateway (auth endpoints and every route) and read the answers.' }),
    credentials: Type.Boolean({ default: false, description: 'Send Access-Control-Allow-Credentials: true (needed for the refresh cookie); the origins then also pass the CSRF check of the cookie endpoints unless auth.allowedOrigins is set.' }),
    maxAge: DurationKey({ min: 0, max: 24 * 60 * MINUTE }, 'How long a browser may reuse a preflight answer (Access-Control-Max-Age, whole seconds).', DEFAULT_CORS_MAX_AGE)
  }, { ...Strict, description: 'Cross-origin browser access (CORS); absent: no Access-Control-* headers, preflights handled as any request.' })
}

function logSection () {
  return Type.Object({
    level: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'Log level (pino).', 'info'),
    access: Type.Boolean({ default: true, description: 'One line per request at level info (route, status, duration, user and session ids, request id); false: none.' })
  }, { ...Strict, default: {}, description: 'Logging.' })
}

function tracingSection () {
  return Type.Object({
    otlpEndpoint: Type.Optional(Type.String({ pattern: HTTP_URL_PATTERN, 'x-expect': 'must be an http:// or https:// URL', description: 'OTLP/HTTP collector (http://collector:4318; /v1/traces is added unless the URL ends with it). Tracing is off unless this or OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set.' })),
    serviceName: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: `service.name of the spans. Default: OTEL_SERVICE_NAME, else ${DEFAULT_SERVICE_NAME}.` })),
    sampleRatio: Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'Share of requests traced, 0 to 1.' })
  }, { ...Strict, default: {}, description: 'Tracing with OpenTelemetry (OTLP/HTTP).' })
}

// The gateway's own sections as the schema leaves them (defaults filled in): typed from the schema, never restated.
export type ServerInput = Static<ReturnType<typeof serverSection>>
export type RouteInput = Static<ReturnType<typeof routeItem>>
export type HeadersInput = Static<ReturnType<typeof headersSection>>
export type LogInput = Static<ReturnType<typeof logSection>>
export type CorsInput = Static<ReturnType<typeof corsSection>>
export type TracingInput = Static<ReturnType<typeof tracingSection>>

function authSection (plugin: TObject): TObject {
  const picked = Object.fromEntries(AUTH_FILE_KEYS.map((key) => [key, plugin.properties[key] as TSchema]))
  return Type.Object({
    ...picked,
    // Off unless asked for: in front of a legacy API, open self-registration lets any stranger past every
    // `auth: required` route (issue #11 item 9). The plugin keeps its own default.
    registration: Type.Boolean({ default: false, description: 'POST /auth/register on or off (off in the gateway unless enabled).' }),
    verifyPath: Type.Unsafe<string | false>({ type: ['string', 'boolean'], default: DEFAULT_VERIFY_PATH, description: 'Where the forward-auth endpoint answers (under /auth/); false: not served.' })
  }, { ...Strict, default: {}, description: 'The auth endpoints.' })
}

/** The gateway file's schema; `form: 'code'` also admits what only code can give (tokens.keys: KeyObjects, Buffers). */
export function gatewaySchema (form: Form = 'json'): TObject {
  const plugin = pluginSections(form)
  const tokens = plugin.tokens as TObject
  return optionalDefaults(Type.Object({
    server: serverSection(),
    log: logSection(),
    tracing: tracingSection(),
    store: Type.Optional(plugin.store),
    // The gateway's tokens are for its upstreams: that is their default audience.
    tokens: Type.Object({ ...tokens.properties, audience: Type.String({ minLength: 1, default: 'upstream', description: (tokens.properties.audience as TSchema).description }) }, { ...Strict, description: tokens.description }),
    cookie: plugin.cookie,
    rateLimit: plugin.rateLimit,
    auth: authSection(plugin.auth as TObject),
    users: plugin.users,
    notifications: plugin.notifications,
    mail: Type.Optional(plugin.mail),
    audit: plugin.audit,
    admin: plugin.admin,
    oidc: Type.Optional(plugin.oidc),
    routes: Type.Array(routeItem(), { description: 'The upstreams, one entry per path prefix.' }),
    headers: headersSection(),
    cors: Type.Optional(corsSection())
  }, { ...Strict, title: 'authgate gateway configuration', description: 'authgate gateway configuration (authgate.yaml).' }))
}
