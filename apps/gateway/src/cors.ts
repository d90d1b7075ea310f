// CORS for browser pages on other origins (`cors` in the file). Two root hooks, added before the auth plugin and the
// proxy routes so they run ahead of every route's own hooks:
// - onRequest answers preflights itself, before rate limits, authentication and the proxy: a preflight carries no
//   credentials, so the auth check would refuse it (401) and an upstream has no say in the gateway's policy.
// - onSend puts the headers on every other answer (auth endpoints, proxied responses, the gateway's own 401/403/
//   429/502...): a page must be able to read a refusal to react to it.
// Only for a listed origin, compared exactly (config/cors.ts). No other Access-Control-* header reaches the client
// while `cors` is set (headers.ts removes an upstream's, onSend whatever is left), except an upstream's
// Expose-Headers for a listed origin: that names which of its answer's headers the page may read, and grants no
// origin anything. The forward-auth endpoint is left out altogether (forwardAuthTarget).
// Written here rather than with @fastify/cors: that plugin lets an OPTIONS from an unlisted origin fall through to
// the route (the auth check's 401, or the upstream on a public route), treats any OPTIONS from a listed origin as a
// preflight, and cannot keep an upstream's headers from overriding its own.
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, onSendHookHandler } from 'fastify'
import type { CorsConfig } from './config/cors.js'
import { sendGatewayError } from './errors.js'
import { BAD_PATH_ROUTE } from './paths.js'
import { LONG_TARGET_ROUTE } from './request-target.js'
import { closeIfBodyUnread } from './unread-body.js'

/** Headers of the gateway's own answers a page needs: why a token was refused, when to retry, the next page of sessions. */
export const CORS_EXPOSED_HEADERS = 'WWW-Authenticate, Retry-After, X-Next-Cursor, Link'

const EXPOSE = 'access-control-expose-headers'
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/
const TOKEN_LIST = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*,[ \t]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/
/** Longest Access-Control-Request-Headers echoed back; a browser's list of a few custom headers is far shorter. */
const MAX_REQUEST_HEADERS = 1024
const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'

/** Adds `Origin` to Vary (an answer that differs by origin must not be served from a cache to another origin). */
function varyOnOrigin (reply: FastifyReply): void {
  const vary = reply.getHeader('vary')
  if (vary === undefined) {
    reply.header('vary', 'Origin')
    return
  }
  const text = Array.isArray(vary) ? vary.join(', ') : String(vary)
  if (text.trim() === '*' || /(?:^|,)\s*origin\s*(?:,|$)/i.test(text)) return
  reply.header('vary', `${text}, Origin`)
}

/**
 * The forward-auth endpoint and everything under it (Envoy's ext_authz appends the original path to it): its proxy
 * sends the client's method, so a client's preflight arrives there as is and a 204 would read as "allow". The route
 * (or the 404) answers it, and its answers carry no CORS header: they are for that proxy, not for a page.
 */
function forwardAuthTarget (verifyPath: string | false): (url: string) => boolean {
  if (verifyPath === false) return () => false
  return (url) => {
    const query = url.indexOf('?')
    const path = query === -1 ? url : url.slice(0, query)
    return path === verifyPath || path.startsWith(`${verifyPath}/`)
  }
}

export function createCorsHooks (cors: CorsConfig, verifyPath: string | false): { preflight: onRequestHookHandler, headers: onSendHookHandler } {
  const origins = new Set(cors.origins)
  const maxAge = String(cors.maxAgeSeconds)
  const isForwardAuth = forwardAuthTarget(verifyPath)
  /** The preflights answered here: their answer is complete, onSend leaves it as it is. */
  const answered = new WeakSet<FastifyRequest>()

  const preflight: onRequestHookHandler = function corsPreflight (request, reply, done) {
    // A preflight is an OPTIONS with Origin and Access-Control-Request-Method; any other OPTIONS is a request like
    // the rest (authenticated, proxied). A target the gateway refuses (400/414) gets that refusal, not a 204.
    const requested = request.headers['access-control-request-method']
    const origin = request.headers.origin
    if (request.method !== 'OPTIONS' || origin === undefined || requested === undefined ||
      request.url === BAD_PATH_ROUTE || request.url === LONG_TARGET_ROUTE || isForwardAuth(request.url)) {
      done()
      return
    }
    answered.add(request)
    closeIfBodyUnread(request, reply)
    reply.header('vary', PREFLIGHT_VARY)
    if (!origins.has(origin)) {
      // Refused here rather than passed on: not the route's 401 or 404, nothing sent upstream, no Access-Control-*.
      sendGatewayError(reply, 'GATEWAY_ORIGIN_REFUSED')
      return
    }
    reply.code(204).header('access-control-allow-origin', origin)
    if (cors.credentials) reply.header('access-control-allow-credentials', 'true')
    // The origin is trusted: whatever method and headers it asks for (well-formed ones) are allowed; the route's
    // policy still judges the real request, and identity headers are stripped from it whatever the page sends.
    if (TOKEN.test(requested)) reply.header('access-control-allow-methods', requested)
    const headers = request.headers['access-control-request-headers']
    if (headers !== undefined && headers.length <= MAX_REQUEST_HEADERS && TOKEN_LIST.test(headers)) {
      reply.header('access-control-allow-headers', headers.toLowerCase())
    }
    reply.header('access-control-max-age', maxAge).send()
  }

  const headers: onSendHookHandler = function corsHeaders (request, reply, payload, done) {
    if (answered.has(request) || isForwardAuth(request.url)) {
      done(null, payload)
      return
    }
    varyOnOrigin(reply)
    // Whatever set them (an upstream, a route, a plugin), the policy here is the only one: headers.ts removing an
    // upstream's is one path among several.
    const exposed = reply.getHeader(EXPOSE)
    for (const name of Object.keys(reply.getHeaders())) {
      if (name.startsWith('access-control-')) reply.removeHeader(name)
    }
    const origin = request.headers.origin
    if (origin !== undefined && origins.has(origin)) {
      reply.header('access-control-allow-origin', origin)
      if (cors.credentials) reply.header('access-control-allow-credentials', 'true')
      reply.header(EXPOSE, exposed === undefined ? CORS_EXPOSED_HEADERS : `${String(exposed)}, ${CORS_EXPOSED_HEADERS}`)
    }
    done(null, payload)
  }
  return { preflight, headers }
}

/** Adds the CORS hooks at the root: call before the auth plugin and the routes are registered. */
export function registerCors (app: FastifyInstance, cors: CorsConfig | undefined, verifyPath: string | false): void {
  if (cors === undefined) return
  const hooks = createCorsHooks(cors, verifyPath)
  app.addHook('onRequest', hooks.preflight)
  app.addHook('onSend', hooks.headers)
}
