// docs/security.md section B (Gateway and proxy), sent to the gateway of lib/target.ts. Most attacks go over a raw
// socket (lib/gateway-wire.ts): header spellings, duplicates, framings and request targets that no HTTP library
// would send. Multi-spelling cases send every variant and judge the first that differs from the expectation.
import type { AttackCase, CaseGroup, Expectation, Outcome } from '../lib/case.js'
import type { AttackTarget } from '../lib/target.js'
import { everyVariant } from '../lib/variants.js'
import { attach, bearer, evidenceOf, exchange, floodBody, rawHttp, trickle, trickleBody } from '../lib/gateway-wire.js'
import { FORGED_IDENTITY, UNDERSCORE_IDENTITY, identityProblems } from '../lib/gateway-identity.js'
import { closedPort } from '@authgate/test-kit/ports'
import { silentListener, withUpstream } from '../lib/gateway-upstream.js'
import { ADMIN_BYPASS, CANONICAL_SPELLINGS, SMUGGLED } from '../lib/gateway-spellings.js'
import { hardeningCases } from './gateway-hardening.js'
import { forwardAuthCases } from './forward-auth.js'
import { corsCases } from './cors.js'

function fail (problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(problems.slice(0, 5).join('; '))
}

/** Sends every variant as raw bytes; the evidence holds every upstream arrival of the whole attack. */
async function rawVariants<T> (target: AttackTarget, variants: readonly T[], expect: Expectation, bytes: (variant: T) => string): Promise<Outcome> {
  const before = target.upstream.seen.length
  const outcome = await everyVariant(variants, expect, (variant) => exchange(target, bytes(variant)))
  return attach(outcome, { arrived: target.upstream.seen.slice(before) })
}

/** A check: `count` arrivals, each carrying exactly the verified identity of `user` (null: none at all). */
function arrivedAs (count: number, user: { sub: string, roles: readonly string[] } | null) {
  return (outcome: Outcome): void => {
    const { arrived } = evidenceOf(outcome)
    fail([
      ...(arrived.length === count ? [] : [`${arrived.length} upstream requests, expected ${count}`]),
      ...arrived.flatMap((seen, index) => identityProblems(seen, user).map((problem) => `request ${index + 1}: ${problem}`))
    ])
  }
}

/** A POST head announcing `length` body bytes, keep-alive (no `Connection: close`), without the body. */
function unterminatedUpload (path: string, length: number, lines: readonly string[]): string {
  return [`POST ${path} HTTP/1.1`, 'Host: gateway.test', 'Content-Type: application/octet-stream', `Content-Length: ${length}`, ...lines].join('\r\n') + '\r\n\r\n'
}

function websocketUpgrade (path: string, lines: readonly string[]): string {
  return [
    `GET ${path} HTTP/1.1`, 'Host: gateway.test', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...lines
  ].join('\r\n') + '\r\n\r\n'
}

const OK: Expectation = { status: 200, upstream: 'reached' }
const BYPASS_ANONYMOUS: Expectation = { status: [400, 401, 404], upstream: 'untouched' }
const BYPASS_USER: Expectation = { status: [400, 403, 404], upstream: 'untouched' }
const SMUGGLING: Expectation = { status: 400, upstream: 'untouched' }
const ABSOLUTE: Expectation = { status: [400, 404], upstream: 'untouched' }

const identity: AttackCase[] = [
  {
    id: 'B.23',
    name: 'forged identity headers (any case, duplicated, other proxies\' names) with a valid token on `/api`',
    expect: OK,
    attack: (target) => rawVariants(target, FORGED_IDENTITY, OK, (lines) => rawHttp('GET', '/api/whoami', [bearer(target.token('u1')), ...lines])),
    check: arrivedAs(FORGED_IDENTITY.length, { sub: 'u1', roles: [] }),
    also: 'every request arrives with exactly one `X-User-Id: u1` (and the token\'s roles, session, assertion), no forged name'
  },
  {
    id: 'B.23',
    name: 'the same forged identity headers on anonymous `/public`, with and without a token',
    expect: OK,
    attack: async (target) => {
      const variants = [...FORGED_IDENTITY, ...FORGED_IDENTITY.map((lines) => [bearer(target.token('admin', ['admin'])), ...lines])]
      return rawVariants(target, variants, OK, (lines) => rawHttp('GET', '/public/page', lines))
    },
    check: arrivedAs(FORGED_IDENTITY.length * 2, null),
    also: 'the upstream sees no `X-User-*`, session, assertion or foreign identity header at all'
  },
  {
    id: 'B.23',
    name: 'forged `X-User-Roles: admin` (and `X-User-Id: admin`) with a non-admin token on `/admin`',
    expect: { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' },
    attack: (target) => rawVariants(target, [['X-User-Roles: admin'], ['X-User-Id: admin', 'X-User-Roles: admin,root']],
      { status: 403, code: 'AUTH_FORBIDDEN', upstream: 'untouched' },
      (lines) => rawHttp('GET', '/admin/users', [bearer(target.token('u1', ['user'])), ...lines]))
  },
  {
    id: 'B.23',
    name: 'forged identity headers with an admin token on `/admin`',
    expect: OK,
    attack: (target) => rawVariants(target, FORGED_IDENTITY, OK, (lines) => rawHttp('GET', '/admin/users', [bearer(target.token('boss', ['admin'])), ...lines])),
    check: arrivedAs(FORGED_IDENTITY.length, { sub: 'boss', roles: ['admin'] }),
    also: 'exactly `X-User-Id: boss`, `X-User-Roles: admin`'
  },
  {
    id: 'B.23',
    name: 'forged identity headers on the `/ws` WebSocket handshake with a valid token',
    expect: { status: 101, upstream: 'reached' },
    attack: async (target) => {
      const before = target.upstream.seen.length
      const forged = FORGED_IDENTITY.flat().filter((line, index, all) => all.indexOf(line) === index)
      const outcome = await exchange(target, websocketUpgrade('/ws/chat', [bearer(target.token('u1')), ...forged, ...UNDERSCORE_IDENTITY.flat()]), 1000)
      return attach(outcome, { arrived: target.upstream.seen.slice(before) })
    },
    check: arrivedAs(1, { sub: 'u1', roles: [] }),
    also: 'the upstream handshake carries exactly the verified identity'
  },
  {
    id: 'B.24',
    name: 'underscore aliases `X_User_Id: admin`, `x_user_roles`, `X-User_Id`… on `/api` and `/public`',
    expect: OK,
    attack: async (target) => {
      const before = target.upstream.seen.length
      const token = target.token('u1')
      await rawVariants(target, UNDERSCORE_IDENTITY, OK, (lines) => rawHttp('GET', '/api/whoami', [bearer(token), ...lines]))
      const outcome = await everyVariant(UNDERSCORE_IDENTITY, OK, (lines) => exchange(target, rawHttp('GET', '/public/page', lines)))
      return attach(outcome, { arrived: target.upstream.seen.slice(before) })
    },
    check: (outcome) => {
      const { arrived } = evidenceOf(outcome)
      const count = UNDERSCORE_IDENTITY.length
      fail([
        ...(arrived.length === count * 2 ? [] : [`${arrived.length} upstream requests`]),
        ...arrived.slice(0, count).flatMap((seen) => identityProblems(seen, { sub: 'u1', roles: [] })),
        ...arrived.slice(count).flatMap((seen) => identityProblems(seen, null))
      ])
    },
    also: 'no underscore spelling arrives; `/api` carries only the verified identity, `/public` none'
  },
  {
    id: 'B.25',
    name: '`Connection: close, X-User-Id`, `Connection: authorization`, `Connection: x-authgate-assertion` with a valid token',
    expect: OK,
    attack: (target) => {
      const variants = [
        ['Connection: close, X-User-Id'], ['Connection: authorization'], ['Connection: x-authgate-assertion, x-user-roles, x-session-id'],
        ['Connection: keep-alive, X-User-Id, Authorization, Cookie']
      ]
      // rawHttp adds its own `Connection: close`: a second Connection line is what a client would send anyway.
      return rawVariants(target, variants, OK, (lines) => rawHttp('GET', '/admin/users', [bearer(target.token('boss', ['admin'])), ...lines]))
    },
    check: arrivedAs(4, { sub: 'boss', roles: ['admin'] }),
    also: 'the gateway-injected identity still arrives (GHSA-gwhp-pf74-vj37)'
  },
  {
    id: 'B.25',
    name: 'a client header named in `Connection` (`Connection: x-trace` + `X-Trace: 1`)',
    expect: OK,
    attack: (target) => rawVariants(target, [['Connection: x-trace', 'X-Trace: 1']], OK, (lines) => rawHttp('GET', '/public/page', lines)),
    check: (outcome) => {
      const { arrived } = evidenceOf(outcome)
      fail(arrived.length === 1 && arrived[0]?.headers['x-trace'] === undefined ? [] : ['X-Trace was forwarded'])
    },
    also: 'X-Trace is not forwarded (reply-from #450)'
  },
  {
    id: 'B.26',
    name: 'hop-by-hop `Keep-Alive`, `Proxy-Authorization`, `Proxy-Connection`, `TE`, `Trailer` to `/api`',
    expect: OK,
    attack: (target) => rawVariants(target, [[
      'Keep-Alive: timeout=999', 'Proxy-Authorization: Basic YWRtaW46YWRtaW4=', 'Proxy-Connection: keep-alive', 'TE: trailers', 'Trailer: X-User-Id'
    ]], OK, (lines) => rawHttp('GET', '/api/whoami', [bearer(target.token('u1')), ...lines])),
    check: (outcome) => {
      const seen = evidenceOf(outcome).arrived[0]
      const leaked = ['keep-alive', 'proxy-authorization', 'proxy-connection', 'te', 'trailer'].filter((name) => seen?.headers[name] !== undefined)
      fail(seen === undefined ? ['nothing arrived'] : leaked.map((name) => `${name} forwarded`))
    },
    also: 'none of them reaches the upstream'
  },
  {
    id: 'B.26',
    name: 'h2c smuggling: `Upgrade: h2c` + `HTTP2-Settings` on `/public`, `/api` and `/ws`',
    expect: { status: 400, code: 'GATEWAY_UPGRADE_REFUSED', upstream: 'untouched' },
    attack: (target) => {
      const token = target.token('u1')
      return everyVariant(['/public/page', '/api/whoami', '/ws/chat'], { status: 400, code: 'GATEWAY_UPGRADE_REFUSED', upstream: 'untouched' }, (path) => exchange(target, [
        `GET ${path} HTTP/1.1`, 'Host: gateway.test', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', bearer(token)
      ].join('\r\n') + '\r\n\r\n'))
    }
  },
  {
    id: 'B.28',
    name: '`Cookie: authgate_rt=…; theme=dark; authgate_did=…` (any case, `__Host-` prefix) and `Authorization` on `/api`',
    expect: OK,
    attack: (target) => rawVariants(target, [
      'authgate_rt=stolen; theme=dark; authgate_did=device', 'AUTHGATE_RT=stolen; theme=dark', '__Host-authgate_rt=stolen; theme=dark',
      'theme=dark; __Secure-authgate_did=device', ' authgate_rt = stolen ;theme=dark'
    ], OK, (cookie) => rawHttp('GET', '/api/whoami', [bearer(target.token('u1')), `Cookie: ${cookie}`])),
    check: (outcome) => {
      fail(evidenceOf(outcome).arrived.flatMap((seen) => [
        ...(seen.headers.cookie === 'theme=dark' ? [] : [`Cookie arrived as ${String(seen.headers.cookie).slice(0, 60)}`]),
        ...(seen.headers.authorization === undefined ? [] : ['Authorization was forwarded'])
      ]))
    },
    also: 'the upstream Cookie is exactly `theme=dark`; no Authorization'
  }
]

const smuggling: AttackCase[] = [
  {
    id: 'B.27',
    name: 'ambiguous framing: CL + TE, obfuscated TE, `Content-Length: 5, 6`, two CLs, obs-fold, bare LF',
    expect: SMUGGLING,
    attack: async (target) => {
      // Every variant's connection must end after one answer: collected here, since everyVariant keeps only one outcome.
      const notes: string[] = []
      const outcome = await everyVariant(Object.entries(SMUGGLED), SMUGGLING, async ([name, bytes]) => {
        const answer = await exchange(target, bytes)
        const { closed, answers } = evidenceOf(answer)
        if (closed !== true) notes.push(`${name}: the connection stayed open`)
        if (answers !== 1) notes.push(`${name}: ${answers ?? 0} answers`)
        return answer
      })
      return attach(outcome, { arrived: [], notes })
    },
    check: (outcome) => { fail(evidenceOf(outcome).notes ?? []) },
    also: 'each gets one answer, then its connection is closed'
  },
  {
    id: 'B.27',
    name: '`GET` with a body that holds a second request for `/api` (no token)',
    expect: { status: 200, upstream: 'reached' },
    attack: async (target) => {
      const before = target.upstream.seen.length
      const smuggled = 'GET /api/secret HTTP/1.1\r\nHost: gateway.test\r\n\r\n'
      const outcome = await exchange(target, `GET /public/page HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`, 1000)
      return attach(outcome, { ...evidenceOf(outcome), arrived: target.upstream.seen.slice(before) })
    },
    check: (outcome) => {
      const { arrived, answers } = evidenceOf(outcome)
      const seen = arrived[0]
      fail([
        ...(arrived.length === 1 && seen?.url === '/public/page' ? [] : [`upstream saw ${arrived.map((request) => request.url).join(', ')}`]),
        // The body is read by its Content-Length and dropped: forwarding the header without it would desync the pool.
        ...(seen?.headers['content-length'] === undefined && seen?.headers['transfer-encoding'] === undefined ? [] : ['the GET went upstream with framing headers']),
        ...(answers === 1 ? [] : [`${answers ?? 0} answers: the body was read as a request`])
      ])
    },
    also: 'the body is read as a body (one answer) and dropped: the upstream gets one `GET /public/page` without framing headers'
  },
  {
    id: 'B.27',
    name: 'keep-alive: a token on the first request, none on the pipelined second',
    expect: { status: 200, upstream: 'reached' },
    attack: async (target) => {
      const before = target.upstream.seen.length
      const first = `GET /api/one HTTP/1.1\r\nHost: gateway.test\r\n${bearer(target.token('u1'))}\r\n\r\n`
      const second = 'GET /api/two HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n'
      const outcome = await exchange(target, first + second, 2000)
      return attach(outcome, { ...evidenceOf(outcome), arrived: target.upstream.seen.slice(before) })
    },
    check: (outcome) => {
      const { arrived, answers } = evidenceOf(outcome)
      const body = outcome.body
      fail([
        ...(arrived.length === 1 && arrived[0]?.url === '/api/one' ? [] : [`upstream saw ${arrived.map((seen) => seen.url).join(', ')}`]),
        ...(answers === 2 && body.includes('AUTH_TOKEN_MISSING') ? [] : ['the second request was not answered 401 AUTH_TOKEN_MISSING'])
      ])
    },
    also: 'the second is answered 401 `AUTH_TOKEN_MISSING`; only the first reaches the upstream'
  },
  {
    id: 'B.27',
    name: 'oversized head: one 20 kB header, or 300 header lines, on `/public`',
    expect: { status: 431, upstream: 'untouched' },
    attack: (target) => everyVariant([
      [`X-Pad: ${'a'.repeat(20_000)}`],
      Array.from({ length: 300 }, (_, index) => `X-Pad-${index}: ${'b'.repeat(60)}`)
    ], { status: 431, upstream: 'untouched' }, (lines) => exchange(target, rawHttp('GET', '/public/page', lines)))
  },
  {
    id: 'B.27',
    name: 'oversized body: 2 MB JSON to `/auth/login`, 4 kB to `/auth/refresh`',
    expect: { status: 413, upstream: 'n/a' },
    attack: (target) => everyVariant([['/auth/login', 2_000_000], ['/auth/refresh', 4096]] as const, { status: 413, upstream: 'n/a' }, ([path, size]) =>
      target.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(size) }) }))
  },
  {
    id: 'B.27',
    name: 'slowloris: the request head trickled one byte per 50 ms (`server.headersTimeout: 1s`)',
    expect: { status: 408, upstream: 'n/a' },
    attack: async (target) => {
      const slow = await target.fresh({ config: { server: { headersTimeout: '1s' } } })
      return trickle(slow, rawHttp('GET', '/public/page', ['X-Slow: 1']), 50, 6000)
    },
    check: (outcome) => {
      const { closedAfterMs } = evidenceOf(outcome)
      fail(closedAfterMs !== undefined && closedAfterMs < 3000 ? [] : [`the connection was still open after ${closedAfterMs ?? 6000} ms`])
    },
    also: 'the gateway closes the connection within 3 s (headers timeout 1 s, checked every 250 ms)'
  },
  {
    id: 'B.27',
    name: 'slow body: an upload to `/public` trickled 10 bytes per 200 ms (`server.minBodyRate: { bytesPerSecond: 1024, grace: 1s }`)',
    expect: { status: 408, code: 'GATEWAY_REQUEST_TIMEOUT', upstream: 'n/a' },
    attack: async (target) => {
      const slow = await target.fresh({ config: { server: { minBodyRate: { bytesPerSecond: 1024, grace: '1s' } } } })
      return trickleBody(slow, unterminatedUpload('/public/upload', 1_000_000, []), 10, 200, 10_000)
    },
    check: (outcome) => {
      const { closedAfterMs } = evidenceOf(outcome)
      fail(closedAfterMs !== undefined && closedAfterMs < 6000 ? [] : [`the connection was still open after ${closedAfterMs ?? 10_000} ms`])
    },
    also: 'the connection is closed within 6 s (grace 1 s, rate measured every second), which frees the upstream connection'
  },
  {
    id: 'B.27',
    name: '`Expect: 100-continue` with a large body announced, on `/api` and `/auth/logout-all` without a token, on `/admin` with a user token',
    expect: { status: [401, 403], upstream: 'untouched' },
    attack: (target) => everyVariant([['/api/upload', []], ['/auth/logout-all', []], ['/admin/upload', [bearer(target.token('u1', ['user']))]]] as const, { status: [401, 403], upstream: 'untouched' },
      ([path, lines]) => exchange(target, unterminatedUpload(path, 50_000_000, ['Expect: 100-continue', ...lines]), 1500)),
    check: (outcome) => {
      const { answers, closed } = evidenceOf(outcome)
      fail([...(answers === 1 ? [] : [`${answers ?? 0} status lines (a 100 Continue before the refusal?)`]), ...(closed === true ? [] : ['the connection stayed open'])])
    },
    also: 'no `100 Continue` is sent before the refusal (the body is never invited), and the connection is closed'
  },
  {
    id: 'B.27',
    name: 'a 64 MiB body on a keep-alive connection to `/api` and to `/auth/logout-all` without a token, sent as fast as the gateway takes it',
    expect: { status: 401, code: 'AUTH_TOKEN_MISSING', upstream: 'untouched' },
    attack: async (target) => {
      const problems: string[] = []
      const total = 64 * 1024 * 1024
      const outcome = await everyVariant(['/api/upload', '/auth/logout-all'], { status: 401, code: 'AUTH_TOKEN_MISSING', upstream: 'untouched' }, async (path) => {
        const answer = await floodBody(target, unterminatedUpload(path, total, []), total)
        const { closed, notes } = evidenceOf(answer)
        const sent = Number(notes?.[0] ?? 0)
        if (closed !== true) problems.push(`${path}: the connection stayed open`)
        if (sent >= total / 2) problems.push(`${path}: ${sent} body bytes were taken after the refusal`)
        return answer
      })
      return attach(outcome, { arrived: [], notes: problems })
    },
    check: (outcome) => { fail(evidenceOf(outcome).notes ?? []) },
    also: 'the gateway closes the connection instead of reading the body: under half of it ever leaves the client'
  }
]

const paths: AttackCase[] = [
  {
    id: 'B.29',
    name: 'every path spelling of `/admin/users` under `/public` or off-case, anonymous',
    expect: BYPASS_ANONYMOUS,
    attack: (target) => everyVariant(ADMIN_BYPASS, BYPASS_ANONYMOUS, (path) => exchange(target, rawHttp('GET', path)))
  },
  {
    id: 'B.29',
    name: 'the same spellings with a valid non-admin token',
    expect: BYPASS_USER,
    attack: (target) => everyVariant(ADMIN_BYPASS, BYPASS_USER, (path) => exchange(target, rawHttp('GET', path, [bearer(target.token('u1', ['user']))])))
  },
  {
    id: 'B.29',
    name: 'escaped spellings the gateway accepts (`%61`, `%7E`, `%c3%a9`, `%20`)',
    expect: OK,
    attack: (target) => rawVariants(target, Object.keys(CANONICAL_SPELLINGS), OK, (path) => rawHttp('GET', path)),
    check: (outcome) => {
      const urls = evidenceOf(outcome).arrived.map((seen) => seen.url)
      const expected = Object.values(CANONICAL_SPELLINGS)
      fail(urls.join(' ') === expected.join(' ') ? [] : [`upstream saw ${urls.join(' ')}, the policy matched ${expected.join(' ')}`])
    },
    also: 'the path the upstream receives is byte-equal to the canonical path the policy matched'
  },
  {
    id: 'B.30',
    name: 'absolute-form and authority tricks: `GET http://127.0.0.1:<other>/admin`, `//host/x`, `@host/`, `*`, authority-form',
    expect: ABSOLUTE,
    attack: async (target) => {
      const decoy = await silentListener()
      try {
        const host = `127.0.0.1:${decoy.port}`
        const targets = [
          `http://${host}/admin/users`, `http://${host}/public/page`, `http://127.0.0.1:${target.port}/public/page`, `HTTP://${host}/api/x`,
          `//${host}/public/page`, `@${host}/public/page`, host, `${host}/public/page`, '*', 'public/page'
        ]
        const outcome = await everyVariant(targets, ABSOLUTE, (requestTarget) => exchange(target, rawHttp('GET', requestTarget)))
        return attach(outcome, { arrived: [], notes: decoy.connections() === 0 ? [] : [`${decoy.connections()} connections to the other host`] })
      } finally {
        await decoy.close()
      }
    },
    check: (outcome) => { fail(evidenceOf(outcome).notes ?? []) },
    also: 'the other host (a loopback listener) gets no connection'
  }
]

const forwarding: AttackCase[] = [
  {
    id: 'B.31',
    name: '`Host: evil.example`, `X-Forwarded-Host/-Proto/-For/-Port`, `Forwarded`, `X-Real-IP` from an untrusted socket',
    expect: OK,
    attack: (target) => rawVariants(target, [[
      'X-Forwarded-Host: evil.example', 'X-Forwarded-Proto: https', 'X-Forwarded-For: 203.0.113.9', 'X-Forwarded-Port: 443',
      'Forwarded: for=203.0.113.9;host=evil.example;proto=https', 'X-Real-IP: 203.0.113.9'
    ]], OK, (lines) => rawHttp('GET', '/public/page', lines).replace('Host: gateway.test', 'Host: evil.example')),
    check: (outcome, target) => {
      const seen = evidenceOf(outcome).arrived[0]
      const upstreamHost = new URL(target.upstream.url).host
      const headers = seen?.headers ?? {}
      fail([
        ...(headers.host === upstreamHost ? [] : [`upstream Host ${String(headers.host)}`]),
        ...(headers['x-forwarded-for'] === '127.0.0.1' ? [] : [`X-Forwarded-For ${String(headers['x-forwarded-for'])}`]),
        ...(headers['x-forwarded-proto'] === 'http' ? [] : [`X-Forwarded-Proto ${String(headers['x-forwarded-proto'])}`]),
        ...(headers['x-forwarded-port'] === String(target.port) ? [] : [`X-Forwarded-Port ${String(headers['x-forwarded-port'])}`]),
        ...(headers.forwarded === 'for=127.0.0.1;proto=http' ? [] : [`Forwarded ${String(headers.forwarded)}`]),
        ...['x-forwarded-host', 'x-real-ip'].filter((name) => headers[name] !== undefined).map((name) => `${name} forwarded`)
      ])
    },
    also: 'upstream Host is the configured one; `X-Forwarded-For: 127.0.0.1`, `-Proto: http`, `-Port` and `Forwarded` rebuilt from the socket; no `-Host`, `X-Real-IP`'
  },
  {
    id: 'B.31',
    name: 'login with `Host: evil.example`, `X-Forwarded-Proto: http`, `X-Forwarded-Host: evil.example`',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      await gateway.login('host@example.test')
      const body = JSON.stringify({ email: 'host@example.test', password: 'correct horse battery staple' })
      return exchange(gateway, rawHttp('POST', '/auth/login', ['Content-Type: application/json', 'X-Forwarded-Proto: http', 'X-Forwarded-Host: evil.example'], body)
        .replace('Host: gateway.test', 'Host: evil.example'))
    },
    check: (outcome) => {
      const cookies = [outcome.headers['set-cookie'] ?? []].flat()
      const refresh = cookies.find((line) => line.startsWith('authgate_rt='))
      fail([
        ...(refresh !== undefined && /; Secure/.test(refresh) && !/domain=/i.test(refresh) ? [] : ['the refresh cookie lost Secure or gained a Domain']),
        ...(outcome.headers.location === undefined ? [] : ['a Location was sent']),
        ...(JSON.stringify(outcome).includes('evil.example') ? ['evil.example appears in the answer'] : [])
      ])
    },
    also: 'the cookie keeps `Secure`, has no `Domain`; no Location; `evil.example` appears nowhere'
  },
  {
    id: 'B.32',
    name: '`X-Forwarded-For` rotated on each of 45 failed logins (limit 30 a minute per address)',
    expect: { status: 429, code: 'AUTH_RATE_LIMITED', upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      let last: Outcome | undefined
      let limited = 0
      for (let attempt = 0; attempt < 45; attempt++) {
        last = await gateway.request('/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${attempt}`, 'x-real-ip': `198.51.100.${attempt}` },
          body: JSON.stringify({ email: `nobody${attempt}@example.test`, password: 'wrong password here' })
        })
        if (last.status === 429) limited++
      }
      return attach(last as Outcome, { arrived: [], notes: limited >= 15 ? [] : [`only ${limited} of 45 attempts were limited`] })
    },
    check: (outcome) => { fail(evidenceOf(outcome).notes ?? []) },
    also: 'every attempt after the 30th is 429'
  }
]

const responses: AttackCase[] = [
  {
    id: 'B.33',
    name: 'no `returnTo` feature: `returnTo`/`next`/`redirect` = attacker URLs on `/auth/login`',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await target.fresh()
      await gateway.login('redirect@example.test')
      const urls = ['https://evil.example', '//evil.example', '/\\evil.example', 'https:evil.example', 'javascript:alert(1)', '%2F%2Fevil.example']
      return everyVariant(urls, { status: 200, upstream: 'n/a' }, (url) => gateway.request(`/auth/login?returnTo=${encodeURIComponent(url)}&next=${encodeURIComponent(url)}&redirect=${encodeURIComponent(url)}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'redirect@example.test', password: 'correct horse battery staple' })
      }))
    },
    check: (outcome) => { fail(outcome.headers.location === undefined ? [] : ['a Location was sent']) },
    also: 'never a redirect (no Location)'
  },
  {
    id: 'B.33',
    name: 'upstream `Location: http://<its own address>/public/next` (any spelling)',
    expect: { status: 302, upstream: 'reached' },
    attack: (target) => {
      const origin = target.upstream.url
      const locations = [`${origin}/public/next`, `${origin.toUpperCase()}/public/next`, `${origin}/public`, `${origin}/public/next?x=1#y`]
      let index = 0
      const seen: string[] = []
      return withUpstream(target, (request, response) => {
        request.resume()
        response.writeHead(302, { location: locations[index++ % locations.length] }).end()
      }, async () => {
        const outcome = await everyVariant(locations, { status: 302, upstream: 'reached' }, async () => {
          const answer = await target.request('/public/page')
          seen.push(String(answer.headers.location))
          return answer
        })
        return attach(outcome, { arrived: [], notes: seen.filter((location) => !location.startsWith('/public')).map((location) => `Location ${location}`) })
      })
    },
    check: (outcome) => { fail(evidenceOf(outcome).notes ?? []) },
    also: 'the Location the client sees is relative (`/public/…`): the upstream address never leaks'
  },
  {
    id: 'B.34',
    name: 'upstream `Set-Cookie: authgate_rt=…` (any case, `__Host-`), `authgate_did`, and identity headers echoed',
    expect: OK,
    attack: (target) => withUpstream(target, (request, response) => {
      request.resume()
      response.writeHead(200, [
        ['set-cookie', 'authgate_rt=attacker; Path=/auth; HttpOnly'], ['set-cookie', '__Host-authgate_rt=attacker; Path=/; Secure'],
        ['set-cookie', 'AUTHGATE_RT=attacker'], ['set-cookie', 'authgate_did=attacker'], ['set-cookie', 'theme=dark; Path=/'],
        ['x-user-id', 'admin'], ['x-user-roles', 'admin'], ['x-session-id', 's'], ['x-authgate-assertion', 'a']
      ].flat()).end('{}')
    }, () => target.request('/api/whoami', { headers: { authorization: `Bearer ${target.token('u1')}` } })),
    check: (outcome) => {
      const cookies = [outcome.headers['set-cookie'] ?? []].flat()
      fail([
        ...(cookies.length === 1 && cookies[0] === 'theme=dark; Path=/' ? [] : [`Set-Cookie: ${cookies.join(' | ')}`]),
        ...['x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion'].filter((name) => outcome.headers[name] !== undefined).map((name) => `${name} echoed`)
      ])
    },
    also: 'only `theme=dark` is passed on; no identity header reaches the client'
  },
  {
    id: 'B.35',
    name: 'WebSocket upgrade to `/ws` without a token, with a bad one, or with `?access_token=`',
    expect: { status: 401, upstream: 'untouched' },
    attack: async (target) => {
      const connections = target.upstream.connections()
      const variants = [[], ['Authorization: Bearer not.a.token'], ['Sec-WebSocket-Protocol: bearer, ' + target.token('u1')]]
      const outcome = await everyVariant(variants, { status: 401, upstream: 'untouched' }, (lines) => exchange(target, websocketUpgrade('/ws/chat', lines), 1000))
      const queryToken = await exchange(target, websocketUpgrade(`/ws/chat?access_token=${target.token('u1')}`, []), 1000)
      const notes = [
        ...(target.upstream.connections() === connections ? [] : ['an upstream socket was opened']),
        ...(queryToken.status === 401 ? [] : [`?access_token= answered ${queryToken.status}`])
      ]
      return attach(outcome, { arrived: [], notes })
    },
    check: (outcome) => { fail(evidenceOf(outcome).notes ?? []) },
    also: 'no upstream connection is opened'
  },
  {
    id: 'B.35',
    name: 'WebSocket upgrade outside a WebSocket route (`/api`, `/public`) with a valid token',
    expect: { status: 400, code: 'GATEWAY_UPGRADE_REFUSED', upstream: 'untouched' },
    attack: (target) => everyVariant(['/api/chat', '/public/chat'], { status: 400, code: 'GATEWAY_UPGRADE_REFUSED', upstream: 'untouched' },
      (path) => exchange(target, websocketUpgrade(path, [bearer(target.token('u1'))]), 1000))
  },
  {
    id: 'B.36',
    name: 'upstream refusing connections (502)',
    expect: { status: 502, code: 'GATEWAY_BAD_GATEWAY', upstream: 'n/a' },
    attack: async (target) => {
      const port = await closedPort()
      const gateway = await target.fresh({ config: { routes: [{ prefix: '/api', upstream: `http://127.0.0.1:${port}`, auth: 'none' }] } })
      const outcome = await gateway.request('/api/x')
      return attach(outcome, { arrived: [], notes: [String(port)] })
    },
    check: (outcome) => {
      const text = JSON.stringify({ headers: outcome.headers, body: outcome.body })
      fail(['127.0.0.1', ...(evidenceOf(outcome).notes ?? []), 'ECONNREFUSED', 'connect ', 'refused'].filter((word) => text.includes(word)).map((word) => `"${word}" in the answer`))
    },
    also: 'the body is generic: no address, port or error name'
  },
  {
    id: 'B.36',
    name: 'upstream never answering (504 after the route timeout)',
    expect: { status: 504, code: 'GATEWAY_TIMEOUT', upstream: 'n/a' },
    attack: async (target) => {
      const silent = await silentListener()
      try {
        const gateway = await target.fresh({ config: { routes: [{ prefix: '/api', upstream: `http://127.0.0.1:${silent.port}`, auth: 'none', timeout: '300ms' }] } })
        const outcome = await gateway.request('/api/x')
        return attach(outcome, { arrived: [], notes: [String(silent.port)] })
      } finally {
        await silent.close()
      }
    },
    check: (outcome) => {
      const text = JSON.stringify({ headers: outcome.headers, body: outcome.body })
      fail(['127.0.0.1', ...(evidenceOf(outcome).notes ?? []), 'UND_ERR', 'HeadersTimeout', 'timed out after'].filter((word) => text.includes(word)).map((word) => `"${word}" in the answer`))
    },
    also: 'the body is generic: no address, port or library error'
  },
  {
    id: 'B.36',
    name: 'CORS preflight from `Origin: https://evil.example` to `/auth/refresh`, `/auth/login`, `/auth/logout`',
    expect: { status: 404, upstream: 'n/a' },
    attack: (target) => everyVariant(['/auth/refresh', '/auth/login', '/auth/logout'], { status: 404, upstream: 'n/a' }, (path) => target.request(path, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
    })),
    check: (outcome) => {
      fail(Object.keys(outcome.headers).filter((name) => name.startsWith('access-control-')).map((name) => `${name} sent`))
    },
    also: 'no `Access-Control-Allow-Origin` / `-Credentials`'
  }
]

export const group: CaseGroup = {
  section: 'B',
  title: 'Gateway and proxy',
  // In catalogue order (B.28 sits with the header cases above): the table lists them as they come.
  cases: [...identity, ...smuggling, ...paths, ...forwarding, ...responses, ...hardeningCases, ...forwardAuthCases, ...corsCases].sort((a, b) => Number(a.id.slice(2)) - Number(b.id.slice(2)))
}
