// Request headers a client must never be able to hand to an upstream (issue #11 item 8): upstream frameworks,
// platforms and other proxies' SDKs believe them, because behind *their* proxy only that proxy could set them.
// Removed from every proxied request and WebSocket handshake before the gateway sets its own headers.
// `headers.drop` extends the list (names or `prefix*` families); `headers.pass` lets a named one through, except the
// ALWAYS_DROPPED ones. Names are compared lower-case with `_` read as `-` (CGI/WSGI upstreams fold them together).

/** Hop-by-hop (RFC 9110 §7.6.1) and h2c-upgrade headers: they describe one connection, never the next one. */
export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings'] as const
/** Rebuilt by the gateway on every request (headers.ts setForwarding): a client's copy is never passed on. */
export const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip'] as const
/** The default identity names: never accepted from a client even when the configuration renames them, since an
 * upstream written against the defaults may read them anyway. */
export const DEFAULT_IDENTITY = ['x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion'] as const
/** Identity headers of other proxies: never accepted from a client, never echoed back to one (headers.ts). */
export const FOREIGN_IDENTITY = ['x-forwarded-user', 'x-forwarded-email', 'x-forwarded-groups', 'x-auth-request-user', 'x-auth-request-email', 'x-remote-user', 'remote-user'] as const
/** Headers upstreams route on instead of the request line (Symfony/Laravel/IIS X-Original-URL, Spring/ASP.NET
 * X-Forwarded-Prefix, method overrides): letting one through would undo the gateway's path check (paths.ts). */
export const ROUTING_OVERRIDES = [
  'x-original-url', 'x-original-uri', 'x-original-path', 'x-original-method', 'x-rewrite-url', 'x-override-url',
  'x-forwarded-prefix', 'x-forwarded-path', 'x-forwarded-uri', 'x-envoy-original-path', 'x-envoy-original-url',
  'x-http-method-override', 'x-http-method', 'x-method-override'
] as const
/** `Expect: 100-continue` is answered by the gateway's own server (Node sends the 100); undici refuses to send a
 * request carrying it, so forwarding it turned every such request into a 502. */
export const REQUEST_ONLY = ['expect'] as const

/** What `headers.pass` can never let through. */
export const ALWAYS_DROPPED: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...FORWARDING, ...DEFAULT_IDENTITY, ...FOREIGN_IDENTITY, ...ROUTING_OVERRIDES, ...REQUEST_ONLY])

/**
 * The documented default drop-list (apps/gateway/README.md "Untrusted request headers"). An entry ending in `*` is a
 * family: every header whose name starts with what precedes the `*`.
 */
export const DEFAULT_DROP: readonly string[] = [
  // Routing overrides: Symfony/Laravel/IIS read X-Original-URL and X-Rewrite-URL as the path to route; Spring,
  // ASP.NET and Traefik-aware apps prepend X-Forwarded-Prefix to links and redirects; method overrides change
  // what a route does. The whole X-Forwarded-* and X-Original-* families: every member is some proxy's claim about
  // the original request (prefix, path, host, scheme, client certificate, user), and the gateway sets its own
  // X-Forwarded-For/-Proto/-Host/-Port after the drop (headers.ts setForwarding).
  'x-forwarded-*', 'x-original-*', ...ROUTING_OVERRIDES, 'x-envoy-*', 'x-iisnode-*',
  // Scheme and host hints: Rack, Django, Spring and ASP.NET derive "is this HTTPS" and absolute URLs from them.
  'x-url-scheme', 'x-scheme', 'front-end-https', 'x-arr-ssl', 'x-host', 'x-http-host-override', 'forwarded-for',
  'cf-visitor',
  // Client-IP headers of CDNs, platforms and load balancers (rate limits, allow-lists and audit logs trust them).
  'true-client-ip', 'x-client-ip', 'cf-connecting-ip', 'cf-connecting-ipv6', 'cf-ipcountry', 'fastly-client-ip',
  'x-cluster-client-ip', 'x-originating-ip', 'x-remote-ip', 'x-remote-addr', 'x-proxyuser-ip', 'client-ip',
  'proxy-client-ip', 'wl-proxy-*', 'fly-client-ip', 'x-vercel-forwarded-for', 'x-azure-clientip', 'x-azure-socketip',
  // Identity set by other authenticating proxies and platforms: oauth2-proxy, Authelia, Apache/nginx auth, Azure
  // App Service EasyAuth, Cloudflare Access, Google IAP, Cloud Endpoints and API Gateway, App Engine and Cloud
  // Tasks, AWS ALB OIDC, Pomerium, Kong, Vouch, authentik (FOREIGN_IDENTITY is always dropped, listed once there).
  ...FOREIGN_IDENTITY, 'x-auth-request-*', 'x-remote-email', 'remote-email', 'x-remote-groups', 'remote-groups',
  'x-remote-name', 'remote-name', 'x-webauth-*', 'x-ms-client-principal*', 'x-ms-token-*', 'cf-access-*',
  'x-goog-authenticated-user-*', 'x-goog-iap-jwt-assertion', 'x-apigateway-api-userinfo', 'x-endpoint-api-userinfo',
  'x-appengine-*', 'x-cloudtasks-*', 'x-amzn-oidc-*', 'x-pomerium-*', 'x-consumer-*', 'x-credential-identifier',
  'x-anonymous-consumer', 'x-authenticated-userid', 'x-authenticated-user', 'x-userinfo', 'x-vouch-*', 'x-authentik-*',
  'x-user-*', 'x-authgate-*',
  // Client-certificate identity passed on by TLS-terminating proxies (Envoy XFCC, nginx, HAProxy, IIS ARR, AWS ALB
  // mTLS; X-Forwarded-Client-Cert and X-Forwarded-Tls-Client-Cert* are in the X-Forwarded-* family above).
  'x-client-cert*', 'x-ssl-*', 'ssl-client-*', 'x-client-verify', 'x-client-dn', 'x-arr-clientcert', 'x-amzn-mtls-*'
]

export interface DropRule {
  /** Whether a request header (lower-case name as Node gives it) is removed before proxying. */
  (name: string): boolean
}

/** `name` as compared: lower-case, `_` read as `-`. */
export function headerKey (name: string): string {
  const lower = name.toLowerCase()
  return lower.includes('_') ? lower.replaceAll('_', '-') : lower
}

/**
 * The drop decision for one configuration: `always` (the identity names of this configuration and ALWAYS_DROPPED)
 * plus DEFAULT_DROP and `drop`, minus `pass`. Exact names are one Set lookup; families a short list of prefixes.
 */
export function createDropRule (lists: { drop: readonly string[], pass: readonly string[] }, always: Iterable<string>): DropRule {
  const passed = new Set(lists.pass.map(headerKey))
  const exact = new Set<string>()
  const prefixes: string[] = []
  for (const entry of [...DEFAULT_DROP, ...lists.drop]) {
    const key = headerKey(entry)
    if (key.endsWith('*')) prefixes.push(key.slice(0, -1))
    else if (!passed.has(key)) exact.add(key)
  }
  for (const name of always) exact.add(headerKey(name))
  return (name) => {
    if (exact.has(name)) return true
    const key = name.includes('_') ? name.replaceAll('_', '-') : name
    if (key !== name && exact.has(key)) return true
    if (passed.has(key)) return false
    for (const prefix of prefixes) if (key.startsWith(prefix)) return true
    return false
  }
}
