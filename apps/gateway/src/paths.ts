// Request-target normalisation: the one place that decides which path a request is about. It runs before routing
// (Fastify's rewriteUrl), so the route policy is chosen on the canonical path and the canonical path is what goes
// upstream: the path the policy evaluated and the path the upstream receives are the same bytes
// (SECURITY-CASES B.29; cf. http-proxy-middleware #1168, fast-uri GHSA-q3j6-qgpj-74h6).
//
// Rules: origin-form only (`/…`; absolute-form, authority-form and `*` are refused, B.30); no fragment; only visible
// ASCII; no backslash; no empty segment (`//`); percent-escapes decoded exactly once; refused when decoding yields
// `/`, `\`, NUL or control characters, when the decoded path still holds an escape (double encoding), or when a
// segment is `.`/`..` before or after decoding (also `..;param`, the servlet matrix-parameter spelling).

/** Where a refused request target is routed: a route that answers 400 (clients may call it too: it only says 400). */
export const BAD_PATH_ROUTE = '/_authgate/bad-request'

// Visible ASCII except `\` (0x5c) and `#` (0x23); `%` is handled separately.
function isPlainPathChar (code: number): boolean {
  return code > 0x20 && code < 0x7f && code !== 0x5c && code !== 0x23
}

const ENCODED_FORBIDDEN = /%(?:2f|5c|0[0-9a-f]|1[0-9a-f]|7f)/i
const ESCAPE = /%[0-9a-f]{2}/i

function isDotSegment (segment: string): boolean {
  if (segment.charCodeAt(0) !== 0x2e) return false
  const semicolon = segment.indexOf(';')
  const bare = semicolon === -1 ? segment : segment.slice(0, semicolon)
  return bare === '.' || bare === '..'
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
  return encodeURI(segment).replace(/[?#]/g, (character) => character === '?' ? '%3F' : '%23')
}

/** The canonical path for a path holding escapes, or null when it must be refused. */
function canonicalEscapedPath (path: string): string | null {
  if (ENCODED_FORBIDDEN.test(path)) return null
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return null
  }
  // `%252e` decodes to `%2e`: an upstream that decodes again would see a dot. Double encoding is refused outright.
  if (ESCAPE.test(decoded) || decoded.includes('\\')) return null
  for (let index = 0; index < decoded.length; index++) {
    const code = decoded.charCodeAt(index)
    if (code < 0x20 || code === 0x7f) return null
  }
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

/** A segment as a lenient upstream may read it: `;params` dropped (Tomcat/Spring), escapes decoded, trailing dots
 * and spaces dropped (Windows/IIS), case folded (Express's default router). */
function foldSegment (segment: string): string {
  const semicolon = segment.indexOf(';')
  let folded = semicolon === -1 ? segment : segment.slice(0, semicolon)
  if (folded.includes('%')) {
    try {
      folded = decodeURIComponent(folded)
    } catch { /* canonical paths always decode; keep it as it is otherwise */ }
  }
  return folded.replace(/[. ]+$/, '').toLowerCase()
}

/**
 * Whether foldSegment could change one of the first `depth` segments of `target`: an upper-case letter, `;`, `%`,
 * or a segment ending in a dot or a space. When not, every folded segment equals the segment itself.
 */
function mayFold (target: string, depth: number): boolean {
  let segment = 0
  for (let index = 1; index < target.length; index++) {
    const code = target.charCodeAt(index)
    if (code === 0x3f) return false
    if (code === 0x2f) {
      if (++segment >= depth) return false
      continue
    }
    if ((code >= 0x41 && code <= 0x5a) || code === 0x3b || code === 0x25) return true
    if (code === 0x2e || code === 0x20) {
      const next = index + 1 < target.length ? target.charCodeAt(index + 1) : 0x2f
      if (next === 0x2f || next === 0x3f) return true
    }
  }
  return false
}

/**
 * A check, built once from the configured route prefixes, that is true when a canonical target's leading segments
 * spell another configured prefix loosely but not exactly (`/ADMIN`, `/admin;x`, `/admin.`, `/admin%20`,
 * `/api/Admin` beside `/api/admin`). Routing is case-sensitive and exact, so such a target would be matched by a
 * shorter prefix (or the catch-all) with a weaker policy while an upstream that folds case or drops matrix
 * parameters serves it as the stricter route: those targets are refused instead (DESIGN: "case tricks cannot
 * bypass a policy").
 */
export function createPrefixSpellingCheck (prefixes: readonly string[]): (target: string) => boolean {
  const table = prefixes
    .filter((prefix) => prefix !== '/')
    .map((prefix) => {
      const exact = prefix.split('/').slice(1).filter((segment) => segment !== '')
      return { exact, folded: exact.map(foldSegment) }
    })
  const depth = Math.max(0, ...table.map((entry) => entry.exact.length))
  if (depth === 0) return () => false
  // With prefixes that folding leaves unchanged (the usual lower-case ones), a target that folding leaves unchanged
  // (nearly every request) cannot spell any of them loosely: the split-and-fold below (an allocation per segment on
  // every request, ≈ 1.5 µs in the profile) is skipped for it.
  const plainPrefixes = table.every((entry) => entry.exact.every((segment, index) => segment === entry.folded[index]))
  return (target) => {
    if (plainPrefixes && !mayFold(target, depth)) return false
    const query = target.indexOf('?')
    const segments = (query === -1 ? target : target.slice(0, query)).split('/', depth + 1).slice(1)
    const folded = segments.map(foldSegment)
    for (const entry of table) {
      if (segments.length < entry.exact.length) continue
      let loose = true
      let same = true
      for (let index = 0; index < entry.exact.length && loose; index++) {
        loose = folded[index] === entry.folded[index]
        if (segments[index] !== entry.exact[index]) same = false
      }
      if (loose && !same) return true
    }
    return false
  }
}
