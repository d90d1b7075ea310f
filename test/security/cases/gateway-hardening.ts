// Section B additions from issue #11 ("Hardening II"): spellings that a lenient upstream reads as a stricter nested
// prefix (item 7), client headers that upstreams trust (item 8), upstream Location values in other spellings of the
// upstream's origin (item 10), and over-long request targets (item 2). Merged into section B by cases/gateway.ts.
import type { AttackCase, Expectation, Outcome } from '../lib/case.js'
import type { AttackTarget } from '../lib/target.js'
import { everyVariant } from '../lib/variants.js'
import { attach, bearer, evidenceOf, exchange, rawHttp } from '../lib/gateway-wire.js'
import { withUpstream } from '../lib/gateway-upstream.js'
import { FOREIGN_PLATFORM_IDENTITY, ROUTING_AND_HINTS, forgedArrivals, upstreamLocationSpellings } from '../lib/gateway-untrusted.js'

function fail (problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(problems.slice(0, 5).join('; '))
}

/** Spellings of `/api/admin/users` that upstream frameworks read as it after their own folds. */
const NESTED_SPELLINGS: readonly string[] = [
  '/api/admin.json', '/api/admin.xml', '/api/admin.html', '/api/admin.v2.json', '/api/admin;x.json', '/api/admin.json.',
  '/api/admin%3F/users', '/api/admin%3fx/users', '/api/admin%23/users', '/api/adm%C4%B1n/users', '/api/adm%C4%B0n/users',
  '/api/%C5%BFecrets/%E2%80%A5/admin/users', '/api/%E2%84%AAeys/%EF%BC%8E%EF%BC%8E/admin/users', '/api/%EF%BD%81%EF%BD%84%EF%BD%8D%EF%BD%89%EF%BD%8E/users',
  '/api/admin%EF%BC%8Fusers', '/api/admin%EF%BC%9Fx', '/api/ad%E2%80%8Bmin/users', '/api/ad%C2%ADmin/users', '/api/x/..%20/admin/users',
  '/api/x/.../admin/users', '/api/x/y/.../.../admin/users', '/api/x/.../ADMIN/users', '/api/x/%2e../admin', '/api/x/...;x/admin',
  '/api/admin.json/', '/api/admin.json;x/', '/api/%EF%BC%8561dmin', '/api/x%EF%BC%85%EF%BC%92%EF%BD%85%EF%BC%85%EF%BC%92%EF%BD%85/admin',
  '/api%E2%88%95admin/users', '/api%E2%81%84admin/users', '/api%E2%A7%B8admin/users', '/api/x%E2%88%96..%E2%88%96admin/users',
  '/api/a%CC%81dmin/users', '/api/admin%CD%8F/users', '/api/admin%EF%B8%8F/users'
]
const REFUSED: Expectation = { status: 400, code: 'GATEWAY_BAD_REQUEST', upstream: 'untouched' }
const OK: Expectation = { status: 200, upstream: 'reached' }

/** A gateway with nested prefixes (`/` open, `/api` optional, `/api/admin` admin) in front of the shared upstream. */
function nested (target: AttackTarget): Promise<AttackTarget> {
  const upstream = target.upstream.url
  return target.fresh({
    config: {
      routes: [
        { prefix: '/', upstream, auth: 'none' },
        { prefix: '/api', upstream, auth: 'optional' },
        { prefix: '/api/admin', upstream, auth: 'required', roles: ['admin'] }
      ]
    }
  })
}

/** Sends every header line variant to `/public/page` and gathers what arrived. */
async function forgedHeaders (target: AttackTarget, lines: readonly string[], path: string, extra: readonly string[]): Promise<Outcome> {
  const before = target.upstream.seen.length
  const outcome = await exchange(target, rawHttp('GET', path, [...extra, ...lines]))
  return attach(outcome, { arrived: target.upstream.seen.slice(before) })
}

export const hardeningCases: AttackCase[] = [
  {
    id: 'B.29',
    name: 'nested prefixes (`/api` open, `/api/admin` admin): format suffixes, encoded `?`/`#`, `ı` `İ` `ſ` `K`, fullwidth and NFKC forms, zero-width characters, `...` at any depth, `admin.json/`, slash look-alikes (`∕` `⁄` `⧸` `∖`), fullwidth `％`, combining marks and variation selectors, anonymous',
    expect: REFUSED,
    attack: async (target) => {
      const gateway = await nested(target)
      return everyVariant(NESTED_SPELLINGS, REFUSED, (path) => exchange(gateway, rawHttp('GET', path)))
    }
  },
  {
    id: 'B.29',
    name: 'the same nested-prefix spellings with a valid non-admin token',
    expect: REFUSED,
    attack: async (target) => {
      const gateway = await nested(target)
      const user = bearer(gateway.token('u1', ['user']))
      return everyVariant(NESTED_SPELLINGS, REFUSED, (path) => exchange(gateway, rawHttp('GET', path, [user])))
    }
  },
  {
    id: 'B.29',
    name: 'request target over `server.maxUrlLength` (8 KiB): runs of `.`, `%`, `/`, `;`, spaces',
    expect: { status: 414, code: 'GATEWAY_URI_TOO_LONG', upstream: 'untouched' },
    attack: (target) => everyVariant(['.', '%', '/', ';', '%20', './'], { status: 414, code: 'GATEWAY_URI_TOO_LONG', upstream: 'untouched' },
      (unit) => exchange(target, rawHttp('GET', `/public/A${unit.repeat(Math.ceil(8200 / unit.length))}x`)))
  },
  {
    id: 'B.23',
    name: 'identity headers of other proxies and platforms (oauth2-proxy, Authelia, EasyAuth, Cloudflare Access, IAP, ALB OIDC, Pomerium, Kong, client certificates) with a valid token',
    expect: OK,
    attack: (target) => forgedHeaders(target, FOREIGN_PLATFORM_IDENTITY, '/api/whoami', [bearer(target.token('u1'))]),
    check: (outcome) => {
      const seen = evidenceOf(outcome).arrived
      fail([...(seen.length === 1 ? [] : [`${seen.length} arrivals`]), ...seen.flatMap((request) => forgedArrivals(request.headers).map((name) => `${name} arrived`))])
    },
    also: 'none of the forged headers, in any spelling, reaches the upstream'
  },
  {
    id: 'B.31',
    name: 'routing overrides (`X-Original-URL`, `X-Rewrite-URL`, `X-Forwarded-Prefix`…), scheme and host hints, client-IP headers, forged `Forwarded`/`X-Forwarded-*`',
    expect: OK,
    attack: (target) => forgedHeaders(target, ROUTING_AND_HINTS, '/public/page', []),
    check: (outcome, target) => {
      const seen = evidenceOf(outcome).arrived[0]
      const headers = seen?.headers ?? {}
      fail([
        ...(seen === undefined ? ['nothing arrived'] : forgedArrivals(headers).map((name) => `${name} arrived`)),
        ...(headers.forwarded === 'for=127.0.0.1;proto=http' ? [] : [`Forwarded: ${String(headers.forwarded)}`]),
        ...(headers['x-forwarded-port'] === String(target.port) ? [] : [`X-Forwarded-Port: ${String(headers['x-forwarded-port'])}`]),
        ...(headers.host === new URL(target.upstream.url).host ? [] : [`Host: ${String(headers.host)}`])
      ])
    },
    also: 'none arrives; `Forwarded: for=127.0.0.1;proto=http` and `X-Forwarded-Port` are the gateway\'s own'
  },
  {
    id: 'B.33',
    name: 'upstream `Location` in other spellings of its origin: `//host:port`, `/\\host`, `\\\\host`, `localhost`, `[::ffff:127.0.0.1]`, `[::1]`, trailing dot, numeric IPv4, userinfo, `https:`, a scheme without slashes (`http:host`, `http:/host`)',
    expect: { status: 302, upstream: 'reached' },
    attack: (target) => {
      const locations = upstreamLocationSpellings(Number(new URL(target.upstream.url).port))
      let index = 0
      const seen: string[] = []
      return withUpstream(target, (request, response) => {
        request.resume()
        response.writeHead(302, { location: locations[index++ % locations.length] }).end()
      }, async () => {
        const outcome = await everyVariant(locations, { status: 302, upstream: 'reached' }, async () => {
          const answer = await exchange(target, rawHttp('GET', '/public/page'))
          seen.push(String(answer.headers.location))
          return answer
        })
        return attach(outcome, { arrived: [], notes: seen.filter((location) => location !== '/public/next').map((location) => `Location ${JSON.stringify(location)}`) })
      })
    },
    check: (outcome) => { fail(evidenceOf(outcome).notes ?? []) },
    also: 'every one reaches the client as `/public/next`: no upstream address or port'
  }
]
