// Section B additions from issue #16 item 5 (CORS in the gateway, `cors: { origins, credentials }`): origins that
// only look like a listed one, upstreams that answer a wider policy of their own, preflights that must stop at the
// gateway, cookie calls from a CORS origin that was not given credentials, and configurations that would admit any
// site. Merged into section B by cases/gateway.ts.
import { STARTUP_REFUSED, type AttackCase, type Expectation, type Outcome } from '../lib/case.js'
import type { AttackTarget } from '../lib/target.js'
import { everyVariant } from '../lib/variants.js'
import { attach, evidenceOf } from '../lib/gateway-wire.js'

const APP = 'https://app.example.com'

/** Origins a careless allowlist (suffix, prefix, case-folding, `null`, a list) would take for `https://app.example.com`. */
const LOOK_ALIKES: readonly string[] = [
  'https://evil.example', `${APP}.evil.example`, 'https://evilapp.example.com', 'https://evil.app.example.com', 'null',
  'http://app.example.com', `${APP}:8443`, `${APP}:443`, `${APP}/`, 'HTTPS://APP.EXAMPLE.COM', `${APP}, https://evil.example`,
  `${APP}%2e`, `${APP}.`
]

function fail (problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(problems.slice(0, 5).join('; '))
}

/** A gateway with `cors` listing only https://app.example.com (credentials on unless said), in front of its own upstream. */
function corsGateway (target: AttackTarget, cors: Record<string, unknown> = { origins: [APP], credentials: true }): Promise<AttackTarget> {
  return target.fresh({ config: { cors } })
}

function preflight (target: AttackTarget, path: string, origin: string): Promise<Outcome> {
  return target.request(path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } })
}

function noCorsHeaders (outcome: Outcome): void {
  fail(Object.keys(outcome.headers).filter((name) => name.startsWith('access-control-')).map((name) => `${name} sent`))
}

/** The fresh gateway's upstream saw nothing; `noCorsHeaders` too. */
function untouchedWithoutCors (outcome: Outcome): void {
  noCorsHeaders(outcome)
  const { arrived } = evidenceOf(outcome)
  fail(arrived.length === 0 ? [] : [`${arrived.length} requests reached the upstream`])
}

const REFUSED_PREFLIGHT: Expectation = { status: 403, code: 'GATEWAY_ORIGIN_REFUSED', upstream: 'n/a' }
const PATHS = ['/auth/login', '/auth/refresh', '/api/whoami', '/admin/users', '/public/page']

export const corsCases: AttackCase[] = [
  {
    id: 'B.36',
    name: 'with `cors.origins: [https://app.example.com]`: preflights from look-alike origins (`…com.evil.example`, `evilapp.…`, `evil.app.…`, `null`, http, other ports, `:443`, a trailing slash, upper case, two origins in one header, a trailing dot or `%2e`) to `/auth/*`, `/api`, `/admin`, `/public`',
    expect: REFUSED_PREFLIGHT,
    attack: async (target) => {
      const gateway = await corsGateway(target)
      const variants = LOOK_ALIKES.flatMap((origin) => PATHS.map((path) => ({ origin, path })))
      const outcome = await everyVariant(variants, REFUSED_PREFLIGHT, ({ origin, path }) => preflight(gateway, path, origin))
      return attach(outcome, { arrived: gateway.upstream.seen.slice() })
    },
    check: untouchedWithoutCors,
    also: 'no `Access-Control-*` header at all; nothing reaches the upstream'
  },
  {
    id: 'B.36',
    name: 'real requests from the same look-alike origins with a valid token, to `/api` and `/public`',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await corsGateway(target)
      const token = gateway.token('u1')
      const variants = LOOK_ALIKES.flatMap((origin) => ['/api/whoami', '/public/page'].map((path) => ({ origin, path })))
      return everyVariant(variants, { status: 200, upstream: 'n/a' }, ({ origin, path }) => gateway.request(path, { headers: { origin, authorization: `Bearer ${token}` } }))
    },
    check: noCorsHeaders,
    also: 'no `Access-Control-*` header: the page of a look-alike origin cannot read the answer'
  },
  {
    id: 'B.36',
    name: 'upstream answering its own wider policy (`Access-Control-Allow-Origin: *`, or echoing the caller\'s Origin with `-Allow-Credentials: true`, `-Allow-Methods: *`), called from an unlisted origin',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await corsGateway(target)
      const policies = ['*', 'echo']
      return everyVariant(policies, { status: 200, upstream: 'n/a' }, async (policy) => {
        gateway.upstream.handle((request, response) => {
          request.resume()
          response.writeHead(200, {
            'content-type': 'application/json',
            'access-control-allow-origin': policy === '*' ? '*' : request.headers.origin ?? '*',
            'access-control-allow-credentials': 'true', 'access-control-allow-methods': '*', 'access-control-allow-headers': '*', 'access-control-max-age': '86400'
          })
          response.end('{"secret":"upstream data"}')
        })
        return gateway.request('/public/page', { headers: { origin: 'https://evil.example' } })
      })
    },
    check: noCorsHeaders,
    also: 'the upstream\'s `Access-Control-*` headers are removed: none reaches the client'
  },
  {
    id: 'B.36',
    name: 'preflight from the listed origin to `/admin` (role admin) and `/api`: answered by the gateway, never by the auth check (401) or the upstream',
    expect: { status: 204, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await corsGateway(target)
      const outcome = await everyVariant(['/admin/users', '/api/whoami', '/auth/login'], { status: 204, upstream: 'n/a' }, (path) => preflight(gateway, path, APP))
      return attach(outcome, { arrived: gateway.upstream.seen.slice() })
    },
    check: (outcome) => {
      const { arrived } = evidenceOf(outcome)
      fail([
        ...(arrived.length === 0 ? [] : [`${arrived.length} preflights reached the upstream`]),
        ...(outcome.headers['access-control-allow-origin'] === APP ? [] : ['Access-Control-Allow-Origin is not the listed origin'])
      ])
    },
    also: 'nothing reaches the upstream; `Access-Control-Allow-Origin` is the listed origin itself, never `*`'
  },
  {
    id: 'B.36',
    name: 'preflight-shaped `OPTIONS` from the listed origin, without a token, to the forward-auth endpoint (`/auth/verify`, and `/auth/verify/api/whoami` as Envoy\'s ext_authz `path_prefix` sends it, passing the client\'s method on)',
    expect: { status: 404, code: 'AUTH_NOT_FOUND', upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await corsGateway(target)
      return everyVariant(['/auth/verify', '/auth/verify/api/whoami'], { status: 404, code: 'AUTH_NOT_FOUND', upstream: 'n/a' }, (path) => gateway.request(path, {
        method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET', 'x-original-uri': '/api/whoami' }
      }))
    },
    check: noCorsHeaders,
    also: 'never the 204 a preflight elsewhere gets, which the proxy would read as "allow" with no identity; no `Access-Control-*` header'
  },
  {
    id: 'B.36',
    name: 'cross-origin `POST /auth/refresh` with the refresh cookie from a CORS origin listed without `credentials: true`',
    expect: { status: 403, code: 'AUTH_CROSS_SITE', upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await corsGateway(target, { origins: [APP] })
      const { refreshToken } = await gateway.login('cors-no-credentials@example.com')
      return gateway.request('/auth/refresh', { method: 'POST', headers: { origin: APP, cookie: `authgate_rt=${refreshToken}` } })
    },
    also: 'without credentials the CORS origins are not cookie callers: the CSRF check refuses them'
  },
  {
    id: 'B.36',
    name: 'configurations that would admit any site: `cors.origins` `*` (with credentials), `https://*.example.com`, `null`, `https://app.example.com/path`',
    expect: { status: STARTUP_REFUSED, upstream: 'n/a' },
    attack: async (target) => {
      const bad = [['*'], ['https://*.example.com'], ['null'], ['https://app.example.com/path']]
      const refusals: string[] = []
      for (const origins of bad) {
        try {
          const started = await corsGateway(target, { origins, credentials: true })
          return await preflight(started, '/api/whoami', 'https://evil.example')
        } catch (error) {
          refusals.push((error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' '))
        }
      }
      return { status: STARTUP_REFUSED, code: undefined, headers: {}, body: refusals.join('\n') }
    },
    check: (outcome) => {
      fail(outcome.body.split('\n').filter((message) => !message.includes('cors.origins[0]:')).map((message) => `not naming cors.origins[0]: ${message.slice(0, 120)}`))
    },
    also: 'each refusal names `cors.origins[0]`'
  }
]
