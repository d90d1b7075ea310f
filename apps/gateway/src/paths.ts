// Request-target normalisation: the one place that decides which path a request is about. It runs before routing
// (Fastify's rewriteUrl), so the route policy is chosen on the canonical path and the canonical path is what goes
// upstream: the path the policy evaluated and the path the upstream receives are the same bytes
// (docs/security.md B.29; cf. http-proxy-middleware #1168, fast-uri GHSA-q3j6-qgpj-74h6).
//
// Rules: origin-form only (`/…`; absolute-form, authority-form and `*` are refused, B.30); no fragment; only visible
// ASCII; no backslash; no empty segment (`//`); percent-escapes decoded exactly once; refused when decoding yields
// `/`, `\`, NUL or control characters, when the decoded path still holds an escape (double encoding, also one that
// only appears after NFKC: fullwidth `％61`), or when a segment is only dots (`.`, `..`, `...`) before or after
// decoding (also `..;param`, the servlet matrix-parameter spelling).
// Every check here runs before authentication on attacker-chosen bytes: each is a plain scan, linear in the length
// of the target (no regular expression that can backtrack; pre-auth-linear.test.ts measures it).
import { foldPath, spellsPrefix } from './path-fold.js'
import type { RoutePolicy } from '@authgate/fastify/proxy'
import type { RouteConfig } from './config.js'
import { routePolicyOf } from './route-access.js'

/** Where a refused request target is routed: a route that answers 400 (clients may call it too: it only says 400). */
export const BAD_PATH_ROUTE = '/_authgate/bad-request'

// Visible ASCII except `\` (0x5c) and `#` (0x23); `%` is handled separately.
function isPlainPathChar (code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== 0x5c && code !== 0x23
}

function hexValue (code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  const lower = code | 0x20
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x57
  return -1
}

/** The byte of the escape at `index` (`%XX`), or -1 when there is none there. */
function escapeAt (text: string, index: number): number {
  if (text.charCodeAt(index) !== 0x25) return -1
  // Past the end, charCodeAt is NaN: not a hex digit.
  const high = hexValue(text.charCodeAt(index + 1))
  const low = hexValue(text.charCodeAt(index + 2))
  return high === -1 || low === -1 ? -1 : high * 16 + low
}

/** An escape of `/`, `\`, a control character or DEL: never acceptable inside a segment. */
function hasForbiddenEscape (path: string): boolean {
  for (let index = path.indexOf('%'); index !== -1; index = path.indexOf('%', index + 1)) {
    const byte = escapeAt(path, index)
    if (byte === 0x2f || byte === 0x5c || (byte >= 0 && byte < 0x20) || byte === 0x7f) return true
  }
  return false
}

function hasEscape (text: string): boolean {
  for (let index = text.indexOf('%'); index !== -1; index = text.indexOf('%', index + 1)) {
    if (escapeAt(text, index) !== -1) return true
  }
  return false
}

/**
 * `.`, `..`, and any other segment of only dots (`...`), also before `;params` (`..;x`, `...;x`): Windows-style
 * upstreams trim trailing dots and read `...` as `..`, and the fold (path-fold.ts) does too, at any depth.
 */
function isDotSegment (segment: string): boolean {
  if (segment.charCodeAt(0) !== 0x2e) return false
  const semicolon = segment.indexOf(';')
  const end = semicolon === -1 ? segment.length : semicolon
  for (let index = 1; index < end; index++) if (segment.charCodeAt(index) !== 0x2e) return false
  return true
}

/** True when every segment between slashes is non-empty (the last may be: a trailing slash) and no dot segment. */
function segmentsAreClean (path: string): boolean {
  let start = 1
  for (;;) {
    const slash = path.indexOf('/', start)
    const end = slash === -1 ? path.length : slash
    if (end === start) {
      if (slash !== -1) return false
    } else if (path.charCodeAt(start) === 0x2e && isDotSegment(path.slice(start, end))) {
      return false
    }
    if (slash === -1) return true
    start = slash + 1
  }
}

function encodeSegment (segment: string): string {
  // encodeURI keeps the sub-delims, `:` and `@` of RFC 3986 pchar; `?` and `#` would end the path, so encode them.
  const encoded = encodeURI(segment)
  return encoded.includes('?') || encoded.includes('#') ? encoded.replaceAll('?', '%3F').replaceAll('#', '%23') : encoded
}

/** The canonical path for a path holding escapes, or null when it must be refused. */
function canonicalEscapedPath (path: string): string | null {
  if (hasForbiddenEscape(path)) return null
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return null
  }
  // `%252e` decodes to `%2e`: an upstream that decodes again would see a dot. Double encoding is refused outright.
  if (hasEscape(decoded) || decoded.includes('\\')) return null
  let ascii = true
  for (let index = 0; index < decoded.length; index++) {
    const code = decoded.charCodeAt(index)
    if (code < 0x20 || code === 0x7f) return null
    if (code > 0x7f) ascii = false
  }
  // `%EF%BC%85` is the fullwidth `％`, which NFKC (path-fold.ts, and upstreams that normalise) turns into `%`:
  // `％61dmin` reads as `%61dmin`, double encoding by another spelling, refused the same way.
  if (!ascii && hasEscape(decoded.normalize('NFKC'))) return null
  if (!segmentsAreClean(decoded)) return null
  return decoded.split('/').map(encodeSegment).join('/')
}

/**
 * The canonical request target (path plus the untouched query), or null when the target must be answered 400.
 * Paths without escapes are returned as they are (the common case allocates nothing).
 */
export function normaliseTarget (raw: string): string | null {
  if (raw.charCodeAt(0) !== 0x2f) return null
  const query = raw.indexOf('?')
  const pathEnd = query === -1 ? raw.length : query
  let escaped = false
  for (let index = 1; index < pathEnd; index++) {
    const code = raw.charCodeAt(index)
    if (code === 0x25) escaped = true
    else if (!isPlainPathChar(code)) return null
  }
  // The query is passed on as sent, but a fragment or a control character has no place in a request target.
  for (let index = pathEnd + 1; index < raw.length; index++) {
    const code = raw.charCodeAt(index)
    if (code <= 0x20 || code >= 0x7f || code === 0x23) return null
  }
  const path = query === -1 ? raw : raw.slice(0, query)
  if (!escaped) return segmentsAreClean(path) ? raw : null
  const canonical = canonicalEscapedPath(path)
  if (canonical === null) return null
  return query === -1 ? canonical : canonical + raw.slice(query)
}

/** Whether `path` falls under `prefix` on a segment boundary (`/api` covers `/api`, `/api/x`, not `/apix`). */
export function underPrefix (path: string, prefix: string): boolean {
  if (prefix === '/') return true
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 0x2f)
}

/**
 * The route a canonical path (no query) falls under, as Fastify routes it: the longest configured prefix on a
 * segment boundary; undefined when none does.
 */
export function createRouteFinder<T extends Pick<RouteConfig, 'prefix'>> (routes: readonly T[]): (path: string) => T | undefined {
  const byLength = [...routes].sort((a, b) => b.prefix.length - a.prefix.length)
  return (path) => byLength.find((route) => underPrefix(path, route.prefix))
}

/**
 * Whether the fold (path-fold.ts) could read the target as anything but its own segments: an escape anywhere (a
 * decoded or NFKC-mapped `..` can climb from any depth), or in the first `depth` segments an upper-case letter, `;`,
 * a trailing dot, or a dot in the last segment (a format suffix, also before a trailing slash). A segment of only dots (`..`, `...`, `...;x`),
 * which the fold reads as `..` at any depth, never gets here: normaliseTarget refuses it. When none of these, the
 * fold is the identity on the first `depth` segments, and deeper segments cannot climb back into them.
 */
function mayFold (target: string, depth: number): boolean {
  let segment = 0
  let dotInSegment = false
  for (let index = 1; index < target.length; index++) {
    const code = target.charCodeAt(index)
    if (code === 0x3f) break
    if (code === 0x25) return true
    if (code === 0x2f) {
      // `admin.json/`: a format suffix before a trailing slash.
      if (dotInSegment && segment < depth && (index + 1 === target.length || target.charCodeAt(index + 1) === 0x3f)) return true
      segment++
      dotInSegment = false
      continue
    }
    if (segment >= depth) continue
    if ((code >= 0x41 && code <= 0x5a) || code === 0x3b) return true
    if (code === 0x2e) {
      dotInSegment = true
      const next = index + 1 < target.length ? target.charCodeAt(index + 1) : 0x2f
      if (next === 0x2f) return true
    }
  }
  return dotInSegment && segment < depth
}

/**
 * A check, built once from the configured routes, that is true when a canonical target, read the way a lenient
 * upstream may read it (path-fold.ts: case, Unicode folds, `;params`, trailing dots, encoded `?`/`#`, format
 * suffixes), falls under a configured prefix that the target itself is not exactly under and whose policy is
 * stricter than that of the route the target matched (`/api/ADMIN`, `/api/admin;x`, `/api/admin.json`,
 * `/api/admın`, `/api/admin%3F` beside `/api/admin`; `/ADMIN` from the catch-all). Routing is case-sensitive and
 * exact, so such a target would get the weaker policy while the upstream serves it as the stricter route: those
 * targets are refused instead, on every route (docs/design.md#gateway: "case tricks cannot bypass a policy"). A target
 * that matches no route counts as strictest, so loose spellings from there are refused too.
 */
/**
 * Whether reaching `spelled` instead of `matched` gains a caller nothing: the route policy compares the two. No
 * matched route (the gateway answers 404 itself) counts as strictest, so loose spellings of any configured prefix
 * from there stay refused, as they always were.
 */
function admitsAllOf (spelled: { policy: RoutePolicy }, matched: { policy: RoutePolicy } | undefined): boolean {
  return matched !== undefined && spelled.policy.admitsAllOf(matched.policy)
}

export function createPrefixSpellingCheck (configured: readonly Pick<RouteConfig, 'prefix' | 'auth' | 'roles'>[]): (target: string) => boolean {
  const routes = configured.map((route) => ({ prefix: route.prefix, policy: routePolicyOf(route) }))
  const table = routes
    .filter((route) => route.prefix !== '/')
    .map((route) => ({ route, folded: foldPath(route.prefix).segments }))
  const depth = Math.max(0, ...table.map((entry) => entry.route.prefix.split('/').length - 1))
  if (depth === 0) return () => false
  const findRoute = createRouteFinder(routes)
  // With prefixes that folding leaves unchanged (the usual lower-case ones), a target that folding leaves unchanged
  // (nearly every request) cannot spell any of them loosely: the fold (an allocation per segment) is skipped for it.
  const plainPrefixes = table.every((entry) => entry.folded.join('/') === entry.route.prefix.slice(1))
  return (target) => {
    if (plainPrefixes && !mayFold(target, depth)) return false
    const query = target.indexOf('?')
    const path = query === -1 ? target : target.slice(0, query)
    const folded = foldPath(path)
    const matched = findRoute(path)
    for (const entry of table) {
      if (spellsPrefix(folded, entry.folded) && !underPrefix(path, entry.route.prefix) && !admitsAllOf(entry.route, matched)) return true
    }
    return false
  }
}
