// What crosses the gateway in headers, both ways. Requests: the drop-list of untrusted headers (untrusted-headers.ts:
// identity headers in any spelling, also with underscores, B.23/B.24; other proxies' and platforms' identity,
// routing overrides, scheme/host and client-IP hints, hop-by-hop and smuggling-prone headers, B.26), Authorization
// unless the route opts in, the auth cookies (B.28); then the forwarding headers (X-Forwarded-For/-Proto/-Host/-Port,
// Forwarded) are rebuilt from the socket unless the proxy in front is trusted (B.31), and the identity is set from
// verified claims only. Responses: hop-by-hop headers, Set-Cookie for the auth cookie names and identity headers
// echoed by the upstream are dropped (B.34); Location and Content-Location naming the upstream in any spelling are
// made relative, and a repeated one is cut to its first (upstream-location.ts, B.33).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyRequest } from 'fastify'
import { authCookieNames, unprefixedCookieName } from '@authgate/fastify/proxy'
import { type AccessClaims } from '@authgate/fastify'
import { type AccessTokenService } from '@authgate/fastify/tokens'
import type { GatewayConfig, RouteConfig } from './config.js'
import type { ClaimHeader } from './config/types.js'
import { forwardableClaimValue } from './identity-values.js'
import { REQUEST_ID_HEADER } from './request-id.js'
import { rewriteLocation, type LocationMapping } from './upstream-location.js'
import { ALWAYS_DROPPED, DEFAULT_IDENTITY, FOREIGN_IDENTITY, HOP_BY_HOP, createDropRule, type DropRule } from './untrusted-headers.js'

export interface HeaderPolicy {
  /** Whether a request header (lower-case name) is dropped: identity, hop-by-hop, forwarding, the drop-list. */
  readonly isDropped: DropRule
  /** Identity header names: dropped from requests (any spelling) and responses, set from verified claims. */
  readonly identity: GatewayConfig['headers']
  readonly identityNames: ReadonlySet<string>
  /** `headers.claims` / `headers.preset`: further headers set from verified claims. */
  readonly claimHeaders: readonly ClaimHeader[]
  /** Auth cookie names, lower case, without a `__Host-`/`__Secure-` prefix. */
  readonly cookieNames: readonly string[]
  readonly trustProxy: boolean
  /** `cors` is set: an upstream's Access-Control-* policy headers are removed from its answers (cors.ts). */
  readonly ownsCors: boolean
}

export function createHeaderPolicy (config: GatewayConfig): HeaderPolicy {
  const identityNames = new Set<string>(Object.values(config.headers))
  for (const name of FOREIGN_IDENTITY) identityNames.add(name)
  for (const name of DEFAULT_IDENTITY) identityNames.add(name)
  for (const { name } of config.claimHeaders) identityNames.add(name)
  return {
    isDropped: createDropRule(config.headerLists, [...identityNames, ...ALWAYS_DROPPED]),
    identity: config.headers,
    identityNames,
    claimHeaders: config.claimHeaders,
    // The plugin names its cookies (the OIDC browser-binding one too, on Path=/ when `__Host-`): upstreams never see
    // a refresh, device or binding value, nor set one.
    cookieNames: authCookieNames(config.cookie).map(bareCookieName),
    // A hop count of 0 trusts nobody: the same as false.
    trustProxy: config.server.trustProxy !== false && config.server.trustProxy !== 0,
    ownsCors: config.cors !== undefined
  }
}

/** Compared without prefix and case: a prefixed or re-cased copy of an auth cookie is still one. */
function bareCookieName (name: string): string {
  return unprefixedCookieName(name).toLowerCase()
}

export type { LocationMapping } from './upstream-location.js'

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

/** An RFC 7239 `for=` value: IPv6 addresses bracketed and quoted. */
function forwardedNode (address: string): string {
  return address.includes(':') ? `"[${address}]"` : address
}

/** An RFC 7239 quoted-string (the host may hold `:`, which a token cannot). */
function quoted (value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/**
 * X-Forwarded-For/-Proto/-Host/-Port and Forwarded, always rebuilt here (the client's copies were dropped with
 * FORWARDING). Without a trusted proxy they come from the socket alone: the client address, the scheme and port it
 * connected to, and no host (the Host header is whatever the client typed, and an upstream that builds links or
 * password-reset URLs from X-Forwarded-Host would trust it). With `server.trustProxy`, the address chain the trusted
 * proxies vouch for, and the scheme and host they forwarded (as Fastify reads them). And X-Request-Id.
 */
function setForwarding (out: OutgoingHttpHeaders, request: FastifyRequest, trustProxy: boolean): void {
  const forwarding = trustProxy ? vouchedForwarding(request) : connectionForwarding(request.raw.socket)
  out['x-forwarded-for'] = forwarding.for
  out['x-forwarded-proto'] = forwarding.proto
  if (forwarding.host !== undefined) out['x-forwarded-host'] = forwarding.host
  if (forwarding.port !== undefined) out['x-forwarded-port'] = forwarding.port
  out.forwarded = forwarding.forwarded
  // The upstream logs the same id as the gateway (the client's own copy was replaced unless a trusted proxy sent it).
  out[REQUEST_ID_HEADER] = request.id
}

/** The forwarding header values. */
interface Forwarding {
  for: string
  proto: string
  host: string | undefined
  port: string | undefined
  forwarded: string
}

function forwardingValues (chain: readonly string[], proto: string, host: string | undefined, port: number | undefined): Forwarding {
  const first = `for=${forwardedNode(chain[0] ?? '')};proto=${proto}${host === undefined ? '' : `;host=${quoted(host)}`}`
  return {
    for: chain.join(', '),
    proto,
    host,
    port: port === undefined ? undefined : String(port),
    forwarded: chain.length === 1 ? first : [first, ...chain.slice(1).map((address) => `for=${forwardedNode(address)}`)].join(', ')
  }
}

function vouchedForwarding (request: FastifyRequest): Forwarding {
  // request.ips runs from the socket back through the trusted proxies to the first untrusted address (proxy-addr):
  // entries a client wrote before that one were never vouched for by a trusted proxy and are not passed on.
  const ips = request.ips
  const chain = ips === undefined || ips.length === 0 ? [request.raw.socket.remoteAddress ?? ''] : [...ips].reverse()
  const proto = request.protocol
  return forwardingValues(chain, proto, request.host === '' ? undefined : request.host, request.port ?? (proto === 'https' ? 443 : 80))
}

/** Without a trusted proxy the values depend on the connection alone: built once per connection, not per request. */
const byConnection = new WeakMap<Socket, Forwarding>()

function connectionForwarding (socket: Socket): Forwarding {
  let forwarding = byConnection.get(socket)
  if (forwarding === undefined) {
    forwarding = forwardingValues([socket.remoteAddress ?? ''], 'encrypted' in socket ? 'https' : 'http', undefined, socket.localPort)
    byConnection.set(socket, forwarding)
  }
  return forwarding
}

/**
 * The headers sent upstream for `request` (`headers`: a copy of the client's, Connection-named headers already removed).
 * Identity headers are set only from `request.user`, which only the route's auth hook sets from verified claims.
 */
export function upstreamRequestHeaders (
  request: FastifyRequest, headers: IncomingHttpHeaders, route: RouteConfig, policy: HeaderPolicy, tokens: AccessTokenService
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const name in headers) {
    if (policy.isDropped(name)) continue
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
  if (claims !== null) setIdentityHeaders(out, claims, route.prefix, policy, tokens)
}

/**
 * The identity headers of verified `claims` (proxied requests, and /auth/verify answers): id, roles, session, the
 * assertion for `audience` (the route prefix), and the configured claim headers whose claim can be a header value.
 */
export function setIdentityHeaders (out: OutgoingHttpHeaders, claims: AccessClaims, audience: string, policy: HeaderPolicy, tokens: AccessTokenService): void {
  out[policy.identity.userId] = claims.sub
  out[policy.identity.roles] = claims.roles.join(',')
  // External tokens (tokens.trustedIssuers) have no authgate session: no x-session-id (README "Trusted issuers").
  if (claims.sid !== '') out[policy.identity.sessionId] = claims.sid
  out[policy.identity.assertion] = tokens.signAssertion(claims, audience)
  if (policy.claimHeaders.length === 0) return
  // Verified claims may carry more than AccessClaims declares (external issuers' email, name, org_id…); only own
  // properties are read, so nothing from the prototype chain becomes a header.
  const all = claims as unknown as Readonly<Record<string, unknown>>
  for (const { name, claim, list } of policy.claimHeaders) {
    if (!Object.hasOwn(all, claim)) continue
    const value = forwardableClaimValue(all[claim], list)
    if (value !== undefined) out[name] = value
  }
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

/**
 * With `cors` set the gateway's policy is the only one: an upstream's `Access-Control-Allow-Origin: *` or echoed
 * origin with credentials would otherwise widen it. Its Expose-Headers stay (cors.ts keeps them for listed origins).
 */
function isUpstreamCorsPolicy (name: string): boolean {
  return name.startsWith('access-control-') && name !== 'access-control-expose-headers'
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
  // The client keeps the gateway's id (set in app.ts), the one its access line carries: an upstream's own would
  // name a request the gateway's logs never saw.
  if (headers[REQUEST_ID_HEADER] !== undefined) headers[REQUEST_ID_HEADER] = undefined
  const setCookie = headers['set-cookie']
  if (setCookie !== undefined) {
    const kept = (Array.isArray(setCookie) ? setCookie : [setCookie]).filter((line) => !policy.cookieNames.includes(cookieNameOf(line)))
    headers['set-cookie'] = kept.length === 0 ? undefined : kept
  }
  for (const name of ['location', 'content-location'] as const) {
    // undici gives a repeated header as an array: a client follows one Location, so only the first goes on, rewritten.
    const value = headers[name]
    const first = Array.isArray(value) ? value[0] : value
    headers[name] = first === undefined ? undefined : rewriteLocation(first, mapping)
  }
  // Every own key is copied onto the reply: rebuild without the emptied ones rather than `delete` by name.
  const kept: Record<string, string | string[] | undefined> = {}
  for (const name in headers) {
    if (headers[name] !== undefined && !(policy.ownsCors && isUpstreamCorsPolicy(name))) kept[name] = headers[name]
  }
  return kept
}
