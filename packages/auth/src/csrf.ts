// Cross-site request refusal for the cookie-authenticated endpoints (refresh, logout). SameSite=Strict already keeps
// the cookie off cross-site requests in current browsers; this is the second layer for older browsers, same-site
// subdomain attacks through lax settings, and misconfigured cookies: a cross-site Origin or Sec-Fetch-Site answers 403.
import type { FastifyRequest } from 'fastify'
import { AuthError } from './errors.js'

/**
 * Throws AuthError AUTH_CROSS_SITE when the request comes from another site: `Sec-Fetch-Site: cross-site`, or an
 * `Origin` (including the opaque `null`) that is neither the request's own host nor in `allowedOrigins`.
 * Requests without either header (curl, server-to-server) pass: they carry no ambient browser credentials.
 */
export function assertSameSite (request: FastifyRequest, allowedOrigins: ReadonlySet<string>): void {
  const fetchSite = request.headers['sec-fetch-site']
  const origin = request.headers.origin
  if (origin !== undefined) {
    if (allowedOrigins.has(origin)) return
    if (origin === 'null' || !sameHost(origin, request.host)) throw new AuthError('AUTH_CROSS_SITE')
  }
  if (fetchSite === 'cross-site') throw new AuthError('AUTH_CROSS_SITE')
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
