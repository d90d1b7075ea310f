// The handler of a proxied HTTP request (issue #18, "a lean hop"). @fastify/http-proxy still registers the routes
// (its prefix handling, WebSocket upgrades, options); this replaces only its per-request HTTP handler, which
// re-derives the destination with three WHATWG URL parses (`resolveDestination`), a percent-decoding validation
// and a parse and re-serialisation of the query string it then discards: ≈ 13 µs of a ≈ 200 µs request in the
// profile (docs/profiling.md, "A lean hop").
// Those checks are redundant here: every target reaching a proxy route was canonicalised before routing (paths.ts,
// Fastify's rewriteUrl): origin-form, visible ASCII only, no backslash, no empty segment, no dot segment before or
// after decoding, escapes decoded exactly once. The upstream path is then the route's rewrite prefix followed by
// the rest of that canonical path, which can leave neither the upstream's origin nor its prefix.
// The request then goes upstream through the route's forwarder (upstream-forward.ts), not reply-from.
// Anything this handler does not recognise as that plain case goes to http-proxy's own handler, unchanged.
import type { FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions } from 'fastify'
import type { Forward } from './upstream-forward.js'

/** http-proxy's rewrite prefix for a scope (its generateRewritePrefix), computed once instead of per request. */
function rewritePrefixOf (scopePrefix: string, rewritePrefix: string): string {
  return !scopePrefix.endsWith('/') && rewritePrefix.endsWith('/') ? rewritePrefix.slice(0, -1) : rewritePrefix
}

/**
 * An `onRoute` hook for the scope that registers @fastify/http-proxy: the routes it adds get the lean handler.
 * `rewritePrefix` is the non-empty one handed to http-proxy (proxy-routes.ts upstreamPrefix); `forward` the route's
 * forwarder.
 */
export function leanProxyHandler (rewritePrefix: string, forward: Forward): (route: RouteOptions & { prefix: string }) => void {
  return (route) => {
    const original = route.handler as RouteHandlerMethod
    const scopePrefix = route.prefix
    // A parametric prefix (`:name`) is substituted by http-proxy per request: left to it. Reachable, not only a guard:
    // the config's prefix pattern allows `:` inside a segment (schema.ts PLAIN_PATH), and find-my-way reads it as a
    // parameter. Tested directly (lean-hop.test.ts).
    if (scopePrefix.includes(':')) return
    const upstreamPrefix = rewritePrefixOf(scopePrefix, rewritePrefix)
    route.handler = function leanHandler (this: unknown, request: FastifyRequest, reply: FastifyReply) {
      const url = request.url
      // An upgrade (WebSocket) is http-proxy's: it hands the socket to its WebSocket server.
      if (request.headers.upgrade !== undefined) return original.call(this as never, request, reply)
      const query = url.indexOf('?')
      const path = query === -1 ? url : url.slice(0, query)
      if (!path.startsWith(scopePrefix)) return original.call(this as never, request, reply)
      // The forwarder sends the answer itself; nothing is returned, so Fastify does not wait on a thenable.
      if (!forward(request, reply, upstreamPrefix + path.slice(scopePrefix.length) || '/')) return original.call(this as never, request, reply)
    }
  }
}
