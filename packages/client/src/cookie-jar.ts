// A minimal cookie store for Node, whose fetch keeps no cookies. It only has to carry the auth server's own cookies
// (refresh token, device id) back to the auth prefix, so it implements the parts of RFC 6265 that decide *where* a
// cookie goes (Domain, Path, Secure, expiry) and ignores the ones that only matter inside a browser (HttpOnly,
// SameSite).

export interface CookieJar {
  /** Stores the Set-Cookie headers of a response received from `url`. */
  storeFrom(url: URL, headers: Headers): void
  /** The `Cookie` header value to send to `url`, or undefined when no stored cookie applies. */
  cookieHeaderFor(url: URL): string | undefined
  /** Forgets every cookie. */
  clear(): void
}

interface StoredCookie {
  name: string
  value: string
  domain: string
  hostOnly: boolean
  path: string
  secure: boolean
  /** Epoch ms; undefined for a session cookie. */
  expiresAt: number | undefined
}

/** An in-memory `CookieJar`, for scripts and tests that use the client from Node. */
export function createMemoryCookieJar (): CookieJar {
  // Keyed by domain + path + name: the identity of a cookie per RFC 6265 §5.3 step 11.
  const cookies = new Map<string, StoredCookie>()

  return {
    storeFrom (url, headers) {
      for (const line of headers.getSetCookie()) {
        const cookie = parseSetCookie(line, url)
        if (cookie === undefined) continue
        const key = `${cookie.domain};${cookie.path};${cookie.name}`
        if (cookie.expiresAt !== undefined && cookie.expiresAt <= Date.now()) cookies.delete(key)
        else cookies.set(key, cookie)
      }
    },
    cookieHeaderFor (url) {
      const now = Date.now()
      const matching: StoredCookie[] = []
      for (const [key, cookie] of cookies) {
        if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) { cookies.delete(key); continue }
        if (!domainMatches(cookie, url.hostname) || !pathMatches(url.pathname, cookie.path)) continue
        if (cookie.secure && !isSecureContext(url)) continue
        matching.push(cookie)
      }
      if (matching.length === 0) return undefined
      // Longer paths first, as browsers do (RFC 6265 §5.4 step 2).
      matching.sort((a, b) => b.path.length - a.path.length)
      return matching.map((c) => `${c.name}=${c.value}`).join('; ')
    },
    clear () { cookies.clear() }
  }
}

function parseSetCookie (line: string, url: URL): StoredCookie | undefined {
  const [pair = '', ...attributes] = line.split(';')
  const eq = pair.indexOf('=')
  if (eq <= 0) return undefined
  const cookie: StoredCookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    domain: url.hostname.toLowerCase(),
    hostOnly: true,
    path: defaultPath(url.pathname),
    secure: false,
    expiresAt: undefined
  }
  let maxAgeSeen = false
  for (const attribute of attributes) {
    const [rawName = '', ...rest] = attribute.split('=')
    const name = rawName.trim().toLowerCase()
    const value = rest.join('=').trim()
    if (name === 'path' && value.startsWith('/')) cookie.path = value
    else if (name === 'secure') cookie.secure = true
    else if (name === 'domain' && value !== '') {
      const domain = value.replace(/^\./, '').toLowerCase()
      // A server may not set cookies for a domain it is not part of (RFC 6265 §5.3 step 6).
      if (!hostInDomain(url.hostname.toLowerCase(), domain)) return undefined
      cookie.domain = domain
      cookie.hostOnly = false
    } else if (name === 'max-age' && /^-?\d+$/.test(value)) {
      maxAgeSeen = true
      cookie.expiresAt = Date.now() + Number(value) * 1000
    } else if (name === 'expires' && !maxAgeSeen) {
      const time = Date.parse(value)
      if (!Number.isNaN(time)) cookie.expiresAt = time
    }
  }
  return cookie
}

/** RFC 6265 §5.1.4: the directory of the request path. */
function defaultPath (pathname: string): string {
  const slash = pathname.lastIndexOf('/')
  return slash <= 0 ? '/' : pathname.slice(0, slash)
}

/** RFC 6265 §5.1.4 path-match: `/auth` matches `/auth` and `/auth/refresh`, not `/authx`. */
function pathMatches (requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/'
}

function domainMatches (cookie: StoredCookie, hostname: string): boolean {
  const host = hostname.toLowerCase()
  return cookie.hostOnly ? host === cookie.domain : hostInDomain(host, cookie.domain)
}

function hostInDomain (host: string, domain: string): boolean {
  return host === domain || host.endsWith('.' + domain)
}

/** Secure cookies go over https, and to loopback over http, as browsers treat loopback as potentially trustworthy. */
function isSecureContext (url: URL): boolean {
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
}
