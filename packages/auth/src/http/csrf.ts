// Cross-site request refusal for the cookie-authenticated endpoints (refresh, logout). SameSite=Strict already keeps
// the cookie off cross-site requests in current browsers; this is the second layer for older browsers, same-site
// subdomain attacks through lax settings, and misconfigured cookies: a cross-site Origin or Sec-Fetch-Site answers 403.
import type { FastifyRequest } from 'fastify'
import { AuthError } from '../errors.js'

/**
 * The app's own origin for this check (the `publicOrigin` option): undefined, the request's Host header; a string,
 * that origin (the Host is never consulted); false, none (only `allowedOrigins` pass).
 */
export type PublicOrigin = string | false | undefined

/**
 * Throws AuthError AUTH_CROSS_SITE when the request comes from another site: `Sec-Fetch-Site: cross-site`, or an
 * `Origin` (including the opaque `null`) that is neither the app's own origin nor in `allowedOrigins`.
 * Requests without either header (curl, server-to-server) pass: they carry no ambient browser credentials — unless
 * the cookie is `SameSite=None`: then the browser itself sends it on cross-site requests, and an old one sends
 * neither header, so the Referer's origin is judged instead, and a request without any of the three is refused.
 *
 * The own origin is never read from X-Forwarded-Host (Fastify's `request.host` under trustProxy): a client that
 * sends a forged one with a matching Origin would otherwise pass. Behind a proxy, configure `publicOrigin`.
 */
export function assertSameSite (request: FastifyRequest, allowedOrigins: ReadonlySet<string>, publicOrigin?: PublicOrigin, sameSite?: 'strict' | 'lax' | 'none'): void {
  const fetchSite = request.headers['sec-fetch-site']
  const origin = request.headers.origin ?? (sameSite === 'none' && fetchSite === undefined ? refererOrigin(request.headers.referer) : undefined)
  if (origin !== undefined) {
    if (allowedOrigins.has(origin)) return
    if (origin === 'null' || !isOwnOrigin(origin, request, publicOrigin)) throw new AuthError('AUTH_CROSS_SITE')
  }
  if (fetchSite === 'cross-site') throw new AuthError('AUTH_CROSS_SITE')
}

/** The origin a Referer names; 'null' (refused) when it is absent or not an absolute http(s) URL. */
function refererOrigin (referer: string | undefined): string {
  if (referer === undefined) return 'null'
  try {
    const url = new URL(referer)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : 'null'
  } catch {
    return 'null'
  }
}

function isOwnOrigin (origin: string, request: FastifyRequest, publicOrigin: PublicOrigin): boolean {
  if (publicOrigin === false) return false
  if (publicOrigin !== undefined) return origin === publicOrigin
  // The Host header itself: a browser cannot set it for a cross-site request.
  const host = request.headers.host ?? request.headers[':authority']
  return typeof host === 'string' && sameHost(origin, host)
}

function sameHost (origin: string, host: string): boolean {
  try {
    // Host and port only: behind a TLS-terminating proxy without trustProxy the request's own scheme reads as
    // http. A Host without a port matches an origin on its scheme's default port.
    const from = new URL(origin)
    const to = new URL(`http://${host}`)
    if (from.hostname !== to.hostname) return false
    const fromPort = from.port === '' ? (from.protocol === 'https:' ? '443' : '80') : from.port
    return to.port === '' ? from.port === '' : to.port === fromPort
  } catch {
    return false
  }
}
