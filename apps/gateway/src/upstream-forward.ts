// A plain proxied HTTP request's trip to its upstream and back (issue #18, "a lean hop"), without reply-from.
// reply-from's `reply.from` did, per request, what this route knows at start-up: a JSON cache key and an LRU lookup
// for a URL it had parsed once, a retry wrapper (three closures) for retries the gateway turns off, a second copy of
// the headers, and http-proxy's header wrapper around ours (docs/profiling.md, "A lean hop": ≈ 8 µs per request).
// What it did to the request and the answer is kept here, step for step:
// - upstream request headers: the client's, less `Connection` and every header it names, with the upstream's Host,
//   through the route's rewrite (headers.ts: the header policy, forwarding, identity); `Transfer-Encoding` goes too
//   (undici frames the body itself);
// - the path: the canonical path (paths.ts) with the route's rewrite prefix, percent-encoded where a WHATWG URL would
//   encode it (reply-from built a URL), and the query as the client sent it; a path with `..` inside a segment
//   (`/a..b`, `/..x`: paths.ts refuses only segments of dots) is left to reply-from, which refuses it with a 400;
//   the request body is the client's stream, as http-proxy's catch-all content-type parser hands it over;
// - the answer: `Transfer-Encoding` dropped, the route's response rewrite (headers.ts), the headers copied onto the
//   reply (http-proxy's sanitizeHeaders is not needed: undici's parser refuses a header value with a character Node
//   would refuse to write, and that exchange fails as a 502; upstream-forward.test.ts),
//   `Connection: close` when the client's body was not read to its end, the status code (an invalid one is a 502,
//   checked before the headers are copied, so the 502 carries none of the upstream's);
// - failures: undici's error as the cause of an UpstreamFailure, which the route's onError maps (metrics.ts
//   upstreamErrorKind: a timeout is a 504, anything else a 502); nothing is answered when a reply was already sent.
// A request this does not cover goes to http-proxy's handler and reply-from: a body Fastify parsed into something
// else than a stream (its own text/plain parser, which http-proxy's catch-all does not replace, reads it into a
// string), and the paths above.
// An undefined header value (headers.ts rebuilds without them) is skipped, as reply-from's copy set none either.
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import type { ExchangeCallback, UpstreamResponse } from './upstream-exchange.js'

/** The answer as the route's hooks receive it (reply-from's `res`: `stream` is the body). */
export interface ForwardedAnswer {
  statusCode: number
  stream: UpstreamResponse['body']
}

/** The route's hooks, the same functions http-proxy hands reply-from for the requests this does not take. */
export interface ForwardHooks {
  timeout: number
  rewriteRequestHeaders: (request: FastifyRequest, headers: IncomingHttpHeaders) => IncomingHttpHeaders
  rewriteHeaders: (headers: Record<string, string | string[]>) => Record<string, string | string[] | undefined>
  onResponse: (request: FastifyRequest, reply: FastifyReply, answer: ForwardedAnswer) => void
  onError: (reply: FastifyReply, failure: { error: Error }) => void
}

/** undici's dispatch options, with the headers timeout the route gate may shorten (proxy-routes.ts). */
export type UpstreamRequestOptions = Dispatcher.DispatchOptions & { headersTimeout?: number | null }

/** One upstream request, as the route's abortable dispatcher sends it (proxy-routes.ts). */
export type UpstreamRequest = (options: UpstreamRequestOptions, callback: ExchangeCallback) => void

/** Forwards one request to `path` (the upstream path, no query); false when it is not a request this can take. */
export type Forward = (request: FastifyRequest, reply: FastifyReply, path: string) => boolean

/** A failed upstream exchange; `cause` is undici's error, whose code says what happened (metrics.ts). */
class UpstreamFailure extends Error {
  constructor (cause: Error) {
    super('upstream failed', { cause })
    this.name = 'UpstreamFailure'
  }
}

/** Names listed in a Connection header, lower-cased (RFC 9110 §7.6.1): hop-by-hop, never forwarded. */
function connectionOptions (value: string): string[] {
  // What nearly every client sends, without a split (≈ 1.4 µs per request in the profile).
  if (value === 'keep-alive' || value === 'close') return [value]
  const names: string[] = []
  for (const part of value.toLowerCase().split(',')) {
    const name = part.trim()
    if (name !== '') names.push(name)
  }
  return names
}

// What a WHATWG URL may percent-encode in a path, among what paths.ts lets through unencoded: `"<>`{}` on Node 20,
// `^` and `|` as well in newer URL parsers. A path holding one is parsed, so it matches this Node's URL exactly.
const URL_ENCODED_IN_PATH = /["<>`{}^|]/
/** The path as reply-from's URL made it: only the rare path holding such a character is parsed. */
function asUrlPath (path: string): string {
  return URL_ENCODED_IN_PATH.test(path) ? new URL(path, 'http://upstream.invalid').pathname : path
}

function copyOntoReply (headers: Record<string, string | string[] | undefined>, reply: FastifyReply): void {
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined) reply.header(name, value)
  }
}

/**
 * The forwarder of one route: `origin` and `host` are its upstream's, `send` its abortable dispatcher (which also
 * takes the request's remaining budget as the headers timeout, and registers the exchange for cancellation).
 */
export function createForwarder (origin: string, host: string, send: UpstreamRequest, hooks: ForwardHooks): Forward {
  const { timeout, rewriteRequestHeaders, rewriteHeaders, onResponse, onError } = hooks
  return (request, reply, path) => {
    const body = request.body
    if (body !== undefined && body !== null && !(body instanceof Readable)) return false
    // `..` inside a segment: reply-from's refusal (400), which paths.ts leaves to it.
    if (path.includes('/..') || path.includes('../')) return false
    const raw = request.raw
    const headers: IncomingHttpHeaders = { ...raw.headers }
    const connection = headers.connection
    if (connection !== undefined) {
      delete headers.connection
      for (const name of connectionOptions(connection)) Reflect.deleteProperty(headers, name)
    }
    headers.host = host
    const upstreamHeaders = rewriteRequestHeaders(request, headers)
    delete upstreamHeaders['transfer-encoding']
    const url = raw.url ?? ''
    const query = url.indexOf('?')
    send({
      origin,
      path: query === -1 ? asUrlPath(path) : asUrlPath(path) + url.slice(query),
      method: raw.method as Dispatcher.HttpMethod,
      headers: upstreamHeaders as Record<string, string | string[]>,
      body: body instanceof Readable ? body : '',
      headersTimeout: timeout,
      bodyTimeout: timeout
    }, (error, response) => {
      // undici answers with one or the other.
      if (response === undefined) {
        if (!reply.sent) onError(reply, { error: new UpstreamFailure(error as Error) })
        return
      }
      // An HTTP/1 connection cannot carry another request until this one's body is read: the upstream answered first.
      // Also on the 502 below.
      if (!raw.complete) reply.header('connection', 'close')
      try {
        reply.code(response.statusCode)
      } catch {
        // Before any of its headers is copied: the 502 does not go out with the upstream's Content-Length.
        response.body.destroy()
        if (!reply.sent) onError(reply, { error: new UpstreamFailure(new Error(`invalid status code ${response.statusCode}`)) })
        return
      }
      const answerHeaders = response.headers
      delete answerHeaders['transfer-encoding']
      copyOntoReply(rewriteHeaders(answerHeaders), reply)
      // The client left before the answer came: nobody to send it to (the exchange was cancelled with it).
      if (reply.raw.destroyed) {
        response.body.destroy()
        return
      }
      onResponse(request, reply, { statusCode: response.statusCode, stream: response.body })
    })
    return true
  }
}
