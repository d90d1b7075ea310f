// What crosses the gateway in headers, both ways. Requests: every client copy of the identity headers is dropped
// (also spelled with underscores, which CGI/WSGI-style upstreams fold into dashes: B.23, B.24), hop-by-hop and
// smuggling-prone headers are dropped (B.26), Authorization unless the route opts in and the auth cookies are
// removed (B.28), forwarding headers come from the socket unless the proxy in front is trusted (B.31), and the
// identity is set from verified claims only. Responses: Set-Cookie for the auth cookie names and identity headers
// echoed by the upstream are dropped (B.34); a Location on the upstream's own origin is made relative (B.33).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { FastifyRequest } from 'fastify'
import type { AccessTokenService } from '@authgate/fastify'
import type { GatewayConfig, RouteConfig } from './config.js'

/** Identity-like headers other proxies use: never accepted from a client, whatever the configured names. */
const FOREIGN_IDENTITY = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-auth-request-user', 'x-auth-request-email', 'x-remote-user', 'remote-user']
/** Hop-by-hop (RFC 9110 §7.6.1) and h2c-upgrade headers, plus the forwarding headers the gateway sets itself. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']
const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip']
/** The default identity names: still never accepted from a client when the configuration renames them, since an
 * upstream written against the defaults may read them anyway. */
const DEFAULT_IDENTITY = ['x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion']
/** `Expect: 100-continue` is answered by the gateway's own server (Node sends the 100); undici refuses to send a
 * request carrying it, so forwarding it turned every such request into a 502. */
const REQUEST_ONLY = ['expect']

export interface HeaderPolicy {
  /** Dropped from every request (lower case, dashes). */
  readonly dropped: ReadonlySet<string>
  /** Identity header names: dropped from requests (any spelling) and responses, set from verified claims. */
  readonly identity: GatewayConfig['headers']
  readonly identityNames: ReadonlySet<string>
  /** Auth cookie names, lower case, without a `__Host-`/`__Secure-` prefix. */
  readonly cookieNames: readonly string[]
  readonly trustProxy: boolean
}

export function createHeaderPolicy (config: GatewayConfig): HeaderPolicy {
  const identityNames = new Set<string>(Object.values(config.headers))
  for (const name of FOREIGN_IDENTITY) identityNames.add(name)
  for (const name of DEFAULT_IDENTITY) identityNames.add(name)
  return {
    dropped: new Set([...identityNames, ...HOP_BY_HOP, ...FORWARDING, ...REQUEST_ONLY]),
    identity: config.headers,
    identityNames,
    cookieNames: [config.cookie.name, config.cookie.deviceName].map(bareCookieName),
    // A hop count of 0 trusts nobody: the same as false.
    trustProxy: config.server.trustProxy !== false && config.server.trustProxy !== 0
  }
}

function bareCookieName (name: string): string {
  const lower = name.toLowerCase()
  if (lower.startsWith('__host-')) return lower.slice(7)
  if (lower.startsWith('__secure-')) return lower.slice(9)
  return lower
}

/** The Cookie header without the auth cookies (undefined when nothing is left). */
export function filterCookieHeader (value: string, names: readonly string[]): string | undefined {
  const lower = value.toLowerCase()
  if (!names.some((name) => lower.includes(name))) return value
  const kept: string[] = []
  for (const part of value.split(';')) {
    const pair = part.trim()
    if (pair === '') continue
    const equals = pair.indexOf('=')
    const name = bareCookieName((equals === -1 ? pair : pair.slice(0, equals)).trim())
    if (!names.includes(name)) kept.push(pair)
  }
  return kept.length === 0 ? undefined : kept.join('; ')
}

function isDropped (name: string, policy: HeaderPolicy): boolean {
  if (policy.dropped.has(name)) return true
  // `x_user_id`: an upstream behind CGI/WSGI conventions reads it as x-user-id.
  return name.includes('_') && policy.dropped.has(name.replace(/_/g, '-'))
}

function setForwarding (out: OutgoingHttpHeaders, request: FastifyRequest, trustProxy: boolean): void {
  const socketAddress = request.raw.socket.remoteAddress ?? ''
  if (trustProxy) {
    // request.ips runs from the socket back through the trusted proxies to the first untrusted address (proxy-addr):
    // entries a client wrote before that one were never vouched for by a trusted proxy and are not passed on.
    const ips = request.ips
    out['x-forwarded-for'] = ips === undefined || ips.length === 0 ? socketAddress : [...ips].reverse().join(', ')
    out['x-forwarded-proto'] = request.protocol
    if (request.host !== '') out['x-forwarded-host'] = request.host
  } else {
    out['x-forwarded-for'] = socketAddress
    out['x-forwarded-proto'] = 'encrypted' in request.raw.socket ? 'https' : 'http'
    // No x-forwarded-host: without a trusted proxy the Host is whatever the client typed, and an upstream that
    // builds links or password-reset URLs from X-Forwarded-Host would trust it.
  }
}

/**
 * The headers sent upstream for `request` (`headers`: reply-from's copy, Connection-named headers already removed).
 * Identity headers are set only from `request.user`, which only the route's auth hook sets from verified claims.
 */
export function upstreamRequestHeaders (
  request: FastifyRequest, headers: IncomingHttpHeaders, route: RouteConfig, policy: HeaderPolicy, tokens: AccessTokenService
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name in headers) {
    if (isDropped(name, policy)) continue
    if (name === 'authorization' && !route.forwardAuthorization) continue
    const value = headers[name]
    if (name === 'cookie' && typeof value === 'string') {
      const kept = filterCookieHeader(value, policy.cookieNames)
      if (kept !== undefined) out.cookie = kept
      continue
    }
    out[name] = value
  }
  setForwarding(out, request, policy.trustProxy)
  setIdentity(out, request, route, policy, tokens)
  return out
}

function setIdentity (out: OutgoingHttpHeaders, request: FastifyRequest, route: RouteConfig, policy: HeaderPolicy, tokens: AccessTokenService): void {
  const claims = request.user
  if (claims === null) return
  out[policy.identity.userId] = claims.sub
  out[policy.identity.roles] = claims.roles.join(',')
  out[policy.identity.sessionId] = claims.sid
  out[policy.identity.assertion] = tokens.signAssertion(claims, route.prefix)
}

/** Headers for the upstream WebSocket handshake: the identity, the filtered cookies and the forwarding headers. */
export function upstreamWebSocketHeaders (request: FastifyRequest, route: RouteConfig, policy: HeaderPolicy, tokens: AccessTokenService): Record<string, string> {
  const out: OutgoingHttpHeaders = {}
  const cookie = request.headers.cookie
  if (typeof cookie === 'string') {
    const kept = filterCookieHeader(cookie, policy.cookieNames)
    if (kept !== undefined) out.cookie = kept
  }
  if (route.forwardAuthorization && typeof request.headers.authorization === 'string') out.authorization = request.headers.authorization
  setForwarding(out, request, policy.trustProxy)
  setIdentity(out, request, route, policy, tokens)
  return out as Record<string, string>
}

function cookieNameOf (setCookie: string): string {
  const equals = setCookie.indexOf('=')
  return bareCookieName((equals === -1 ? setCookie : setCookie.slice(0, equals)).trim())
}

/** How an upstream Location maps back: its origin, the path prefix it is served under, the route's prefix. */
export interface LocationMapping {
  upstreamOrigin: string
  upstreamPrefix: string
  routePrefix: string
}

/** `path` with `from` (a path prefix, on a segment boundary) replaced by `to`; unchanged when not under `from`. */
function swapPrefix (path: string, from: string, to: string): string {
  if (from === to) return path
  let rest: string
  if (from === '/') rest = path
  else if (path === from || path.startsWith(`${from}/`) || path.startsWith(`${from}?`) || path.startsWith(`${from}#`)) rest = path.slice(from.length)
  else return path
  if (to === '/') return rest.startsWith('/') ? rest : `/${rest}`
  return to + (rest === '/' ? '/' : rest)
}

/**
 * A Location as the client should see it: absolute URLs on the upstream's own origin (any spelling the URL parser
 * reads as that origin: case, default port) lose the origin, so the upstream address is not revealed (B.33), and
 * paths under the upstream prefix (rewritePrefix) are mapped back under the route prefix the client used.
 */
export function rewriteLocation (location: string, mapping: LocationMapping): string {
  let path: string | undefined
  if (location.startsWith('/') && !location.startsWith('//')) {
    path = location
  } else {
    let url: URL | undefined
    try {
      url = new URL(location)
    } catch { /* relative reference: left as it is */ }
    if (url === undefined || url.origin !== mapping.upstreamOrigin) return location
    path = url.pathname + url.search + url.hash
  }
  return swapPrefix(path, mapping.upstreamPrefix, mapping.routePrefix)
}

/** Response headers from the upstream, without auth-cookie Set-Cookie lines and identity echoes. */
export function downstreamResponseHeaders (headers: Record<string, string | string[] | undefined>, policy: HeaderPolicy, mapping: LocationMapping): Record<string, string | string[] | undefined> {
  // Hop-by-hop headers describe the upstream connection, not the client's: `Connection: keep-alive` from the
  // upstream would otherwise override a client's `Connection: close`.
  for (const name of HOP_BY_HOP) {
    if (headers[name] !== undefined) headers[name] = undefined
  }
  for (const name of policy.identityNames) {
    if (headers[name] !== undefined) headers[name] = undefined
  }
  const setCookie = headers['set-cookie']
  if (setCookie !== undefined) {
    const kept = (Array.isArray(setCookie) ? setCookie : [setCookie]).filter((line) => !policy.cookieNames.includes(cookieNameOf(line)))
    headers['set-cookie'] = kept.length === 0 ? undefined : kept
  }
  const location = headers.location
  if (typeof location === 'string') headers.location = rewriteLocation(location, mapping)
  // reply-from copies every own key onto the reply: rebuild without the emptied ones rather than `delete` by name.
  const kept: Record<string, string | string[] | undefined> = {}
  for (const name in headers) if (headers[name] !== undefined) kept[name] = headers[name]
  return kept
}
