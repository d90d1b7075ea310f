// Turns one `fetch(input, init)` call into something that can be sent, and possibly sent again with a new token.
// Decides, per request, the three things that must never leak: the Bearer token goes only to the gateway's origin,
// cookies (`credentials: 'include'`, or the Node cookie jar) only to the auth prefix.
import type { CookieJar } from './cookie-jar.js'
import type { FetchLike } from './types.js'

export interface RequestContext {
  fetch: FetchLike
  /** The resolved baseUrl: relative inputs resolve against it; its origin is the only one that sees the token. */
  baseUrl: URL
  /** Absolute path of the auth prefix, without a trailing slash (e.g. `/auth`). */
  authPath: string
  cookieJar: CookieJar | undefined
}

export interface PreparedRequest {
  /** True when the token is attached: same origin as baseUrl, and the caller set no Authorization of its own. */
  readonly carriesToken: boolean
  /** False when the body cannot be sent twice (a ReadableStream or other one-shot body). */
  readonly replayable: boolean
  /** Sends one attempt, with `token` as Bearer when `carriesToken`. At most two attempts per request. */
  send(token: string | null): Promise<Response>
}

export function prepareRequest (ctx: RequestContext, input: string | URL | Request, init: RequestInit | undefined): PreparedRequest {
  const isRequest = typeof Request === 'function' && input instanceof Request
  const url = isRequest ? new URL(input.url) : new URL(input instanceof URL ? input.href : input, ctx.baseUrl)
  const sameOrigin = url.origin === ctx.baseUrl.origin
  const toAuth = sameOrigin && isUnderPath(url.pathname, ctx.authPath)

  const baseHeaders = new Headers(isRequest ? input.headers : undefined)
  new Headers(init?.headers).forEach((value, name) => { baseHeaders.set(name, value) })
  const carriesToken = sameOrigin && !baseHeaders.has('authorization')

  // A Request's own body is replayed from a clone taken before the first attempt (clone() tees the stream);
  // a body given in `init` is replayable only when fetch can read it again (not a stream or an async iterable).
  const bodyFromRequest = isRequest && init?.body == null && input.body !== null
  const replayable = bodyFromRequest ? !input.bodyUsed : isReplayableBody(init?.body)
  const spares = bodyFromRequest && replayable ? [input.clone(), input] : undefined

  return {
    carriesToken,
    replayable,
    async send (token) {
      const headers = new Headers(baseHeaders)
      if (carriesToken && token !== null) headers.set('authorization', `Bearer ${token}`)
      if (toAuth && ctx.cookieJar !== undefined) {
        const cookie = ctx.cookieJar.cookieHeaderFor(url)
        if (cookie !== undefined) headers.set('cookie', cookie)
      }
      // Cookies travel only to the auth prefix: there they carry the refresh token, elsewhere the caller decides.
      const credentials = toAuth ? 'include' : init?.credentials
      const attemptInit: RequestInit = { ...init, headers, credentials }
      let response: Response
      if (isRequest) {
        const source = spares?.shift() ?? input
        response = await ctx.fetch(new Request(source, attemptInit))
      } else {
        response = await ctx.fetch(url.href, attemptInit)
      }
      if (toAuth) ctx.cookieJar?.storeFrom(url, response.headers)
      return response
    }
  }
}

/** `/auth` contains `/auth` and `/auth/login`, not `/authx`. */
export function isUnderPath (pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(prefix + '/')
}

function isReplayableBody (body: RequestInit['body']): boolean {
  if (body === undefined || body === null || typeof body === 'string') return true
  return body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof Blob ||
    body instanceof URLSearchParams || body instanceof FormData
}
