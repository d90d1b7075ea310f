// Upstream `Location` (and `Content-Location`) values as the client sees them (docs/security.md B.33, issue #11
// item 10). A URL on the upstream's own origin, in any spelling a browser would follow to it, loses the origin, so
// the upstream address never reaches a client; paths under the upstream prefix map back under the route prefix.
// Spellings are read the way a browser reads a Location: the WHATWG URL parser resolves `//host`, `/\host`,
// `\\host`, `http:\\host`, tabs and newlines, numeric IPv4 forms, default ports and case. On top of that, a host
// is compared without trailing dots, IPv4-mapped IPv6 is its IPv4 address, and every loopback name (`localhost`,
// 127.0.0.0/8, `::1`, `0.0.0.0`) is one host when the upstream is on loopback.

/** How an upstream Location maps back: its origin, the path prefix it is served under, the route's prefix. */
export interface LocationMapping {
  /** The upstream's URL, parsed once per route (only its scheme, host and port are read). */
  upstream: URL
  upstreamPrefix: string
  routePrefix: string
}

/**
 * Bases no Location can name (`.invalid` is reserved, RFC 6761): what resolves onto one was a relative reference.
 * Both schemes, because a browser reads `http:host/x` and `http:/host/x` (a special scheme without `//`) as relative
 * only on a page of that same scheme, and as `http://host/x` on any other: the page's scheme is the client's.
 */
const RELATIVE_BASES = ['http://authgate.invalid', 'https://authgate.invalid'] as const
const RELATIVE_HOST = 'authgate.invalid'

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

/** `::ffff:7f00:1` (the parser's form of `::ffff:127.0.0.1`) or `::7f00:1` as dotted IPv4; undefined otherwise. */
function embeddedIpv4 (address: string): string | undefined {
  const rest = address.startsWith('::ffff:') ? address.slice(7) : address.startsWith('::') ? address.slice(2) : undefined
  if (rest === undefined) return undefined
  const parts = rest.split(':')
  if (parts.length !== 2 || !parts.every((part) => HEX_GROUP.test(part))) return undefined
  const [high, low] = parts.map((part) => Number.parseInt(part, 16)) as [number, number]
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/

function isLoopback (host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || host.startsWith('127.') || host === '0.0.0.0' || host === '::1' || host === '::'
}

/** One key per host however it is spelled (the parser has already lower-cased it and normalised IP forms). */
function hostKey (hostname: string): string {
  let host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  let end = host.length
  while (end > 0 && host.charCodeAt(end - 1) === 0x2e) end--
  host = host.slice(0, end)
  host = embeddedIpv4(host) ?? host
  return isLoopback(host) ? 'loopback' : host
}

function effectivePort (url: URL): string {
  if (url.port !== '') return url.port
  return url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80'
}

const WEB_SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:'])

/** Whether `url` names the upstream's host and port (any web scheme: `https://` to the same port is no less a leak). */
function onUpstream (url: URL, upstream: URL): boolean {
  return WEB_SCHEMES.has(url.protocol) && effectivePort(url) === effectivePort(upstream) && hostKey(url.hostname) === hostKey(upstream.hostname)
}

/**
 * A Location as the client should see it: a URL on the upstream (any spelling, above) becomes its path; a path
 * under the upstream prefix (rewritePrefix) is mapped back under the route prefix; anything else is left as sent.
 */
export function rewriteLocation (location: string, mapping: LocationMapping): string {
  let relative = false
  for (const base of RELATIVE_BASES) {
    let resolved: URL
    try {
      resolved = new URL(location, base)
    } catch {
      return location
    }
    if (resolved.host === RELATIVE_HOST) relative = true
    else if (onUpstream(resolved, mapping.upstream)) return swapPrefix(resolved.pathname + resolved.search + resolved.hash, mapping.upstreamPrefix, mapping.routePrefix)
  }
  if (!relative) return location
  // A relative reference: only a path-absolute one (`/x`, not `//…`) names a path on our side of the gateway.
  const pathAbsolute = location.startsWith('/') && location.charCodeAt(1) !== 0x2f && location.charCodeAt(1) !== 0x5c
  return pathAbsolute ? swapPrefix(location, mapping.upstreamPrefix, mapping.routePrefix) : location
}
