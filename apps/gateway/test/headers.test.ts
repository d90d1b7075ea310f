// Identity headers in and out (docs/security.md B.23–B.26, B.28, B.31, B.34), auth policies per route (none,
// optional, required, roles) through the real plugin, against a real upstream that records what reached it.
import t from 'tap'
import { rawGet, rawRequest, startGateway, startUpstream, type TeardownHost } from './helpers.js'

async function setup (t: TeardownHost, extra: Record<string, unknown> = {}) {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    cookie: { name: '__Host-rt' },
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/maybe', upstream: upstream.url, auth: 'optional' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' },
      { prefix: '/api/raw', upstream: upstream.url, auth: 'required', forwardAuthorization: true },
      { prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin', 'ops'] }
    ],
    ...extra
  })
  return { upstream, gateway }
}

const IDENTITY = ['x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion', 'x-forwarded-user', 'x-auth-request-user']

function identityOf (headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => IDENTITY.includes(name.replace(/_/g, '-')) || name.includes('user')))
}

const FORGED = [
  'X-User-Id: admin', 'x-uSeR-iD: admin', 'X-User-Roles: admin', 'X-Session-Id: forged', 'X-Authgate-Assertion: forged',
  'X-Forwarded-User: admin', 'X-Auth-Request-User: admin', 'X_User_Id: admin', 'x_user_roles: admin', 'X-User_Id: admin'
]

t.test('B.23/B.24: forged identity headers never reach the upstream; the verified identity does, exactly once', async (t) => {
  const { upstream, gateway } = await setup(t)
  const token = gateway.token('u1', ['user'], 'session-1')
  const answer = await rawRequest(gateway.port, rawGet('/api/whoami', [`Authorization: Bearer ${token}`, ...FORGED]))
  t.equal(answer.status, 200)
  t.equal(upstream.seen.length, 1)
  const seen = upstream.seen[0]!
  t.same(identityOf(seen.headers), {
    'x-user-id': 'u1', 'x-user-roles': 'user', 'x-session-id': 'session-1', 'x-authgate-assertion': seen.headers['x-authgate-assertion']
  })
  t.match(seen.headers['x-authgate-assertion'], /^ey[\w-]+\.[\w-]+\.[\w-]+$/)
  const lines = seen.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase())
  t.equal(lines.filter((name) => name === 'x-user-id').length, 1, 'one X-User-Id line')
  t.notOk(lines.some((name) => name.includes('_')), 'no underscore spelling survives')
})

t.test('B.23: on anonymous routes the upstream sees no identity at all', async (t) => {
  const { upstream, gateway } = await setup(t)
  const token = gateway.token('u1', ['admin'])
  for (const path of ['/public/page', '/maybe/page']) {
    const answer = await rawRequest(gateway.port, rawGet(path, FORGED))
    t.equal(answer.status, 200, path)
  }
  // A valid token on a `none` route is ignored: that route never carries identity.
  t.equal((await rawRequest(gateway.port, rawGet('/public/page', [`Authorization: Bearer ${token}`]))).status, 200)
  t.equal(upstream.seen.length, 3)
  for (const seen of upstream.seen) {
    t.same(identityOf(seen.headers), {}, seen.url)
    t.equal(seen.headers.authorization, undefined, 'Authorization is not forwarded')
  }
})

t.test('optional routes: identity with a valid token, anonymous without, 401 for a bad one', async (t) => {
  const { upstream, gateway } = await setup(t)
  const token = gateway.token('u2', ['user'])
  t.equal((await fetch(`${gateway.origin}/maybe/x`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
  t.equal(upstream.seen.at(-1)?.headers['x-user-id'], 'u2')
  t.equal((await fetch(`${gateway.origin}/maybe/x`)).status, 200)
  t.equal(upstream.seen.at(-1)?.headers['x-user-id'], undefined)
  const bad = await fetch(`${gateway.origin}/maybe/x`, { headers: { authorization: 'Bearer not.a.token' } })
  t.equal(bad.status, 401)
  t.match(await bad.json(), { code: 'AUTH_TOKEN_INVALID' })
  t.equal(upstream.seen.length, 2)
})

t.test('required routes: 401 codes with WWW-Authenticate; roles: 403 AUTH_FORBIDDEN; nothing reaches the upstream', async (t) => {
  const { upstream, gateway } = await setup(t)
  const missing = await fetch(`${gateway.origin}/api/x`)
  t.equal(missing.status, 401)
  t.match(missing.headers.get('www-authenticate'), /^Bearer /)
  t.match(await missing.json(), { statusCode: 401, code: 'AUTH_TOKEN_MISSING', error: 'Unauthorized' })
  const invalid = await fetch(`${gateway.origin}/api/x`, { headers: { authorization: `Bearer ${gateway.token('u1')}x` } })
  t.match(await invalid.json(), { code: 'AUTH_TOKEN_INVALID' })
  const basic = await fetch(`${gateway.origin}/api/x`, { headers: { authorization: 'Basic dTE6cA==' } })
  t.match(await basic.json(), { code: 'AUTH_TOKEN_MISSING' })
  const forbidden = await fetch(`${gateway.origin}/admin/users`, { headers: { authorization: `Bearer ${gateway.token('u1', ['user'])}` } })
  t.equal(forbidden.status, 403)
  t.match(await forbidden.json(), { statusCode: 403, code: 'AUTH_FORBIDDEN' })
  const twoAuth = await rawRequest(gateway.port, rawGet('/api/x', [`Authorization: Bearer ${gateway.token('u1')}`, `Authorization: Bearer ${gateway.token('admin', ['admin'])}`]))
  t.equal(twoAuth.status, 401, 'two Authorization lines are refused')
  t.equal(upstream.seen.length, 0)
  const ops = await fetch(`${gateway.origin}/admin/users`, { headers: { authorization: `Bearer ${gateway.token('u3', ['ops'])}` } })
  t.equal(ops.status, 200, 'any one of the route roles is enough')
  t.equal(upstream.seen.at(-1)?.headers['x-user-roles'], 'ops')
})

t.test('an expired token gets AUTH_TOKEN_EXPIRED', async (t) => {
  const { upstream, gateway } = await setup(t, { tokens: { accessTtl: '1s', clockTolerance: '0s' } })
  const token = gateway.token('u1')
  await new Promise((resolve) => setTimeout(resolve, 2100))
  const answer = await fetch(`${gateway.origin}/api/x`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(answer.status, 401)
  t.match(await answer.json(), { code: 'AUTH_TOKEN_EXPIRED' })
  t.equal(upstream.seen.length, 0)
})

t.test('B.25: headers named in Connection cannot remove the injected identity', async (t) => {
  const { upstream, gateway } = await setup(t)
  const token = gateway.token('u1', ['user'])
  for (const connection of ['close, X-User-Id', 'authorization', 'x-user-id, x-user-roles, x-session-id, x-authgate-assertion, cookie']) {
    const request = [`GET /api/c HTTP/1.1`, 'Host: gw', `Authorization: Bearer ${token}`, 'X-User-Id: admin', 'X-Private: secret', `Connection: ${connection}, x-private`, '', ''].join('\r\n')
    const answer = await rawRequest(gateway.port, request)
    t.equal(answer.status, 200, connection)
    const seen = upstream.seen.at(-1)!
    t.equal(seen.headers['x-user-id'], 'u1', `identity survives Connection: ${connection}`)
    t.equal(seen.headers['x-user-roles'], 'user')
    t.ok(seen.headers['x-authgate-assertion'])
    t.equal(seen.headers['x-private'], undefined, 'a client header named in Connection is not forwarded')
  }
})

t.test('B.26: hop-by-hop headers are not forwarded; an h2c upgrade is refused', async (t) => {
  const { upstream, gateway } = await setup(t)
  const answer = await rawRequest(gateway.port, rawGet('/public/h', ['Keep-Alive: timeout=5', 'Proxy-Authorization: Basic eA==', 'TE: trailers', 'Trailer: X-T', 'Proxy-Connection: keep-alive']))
  t.equal(answer.status, 200)
  const seen = upstream.seen.at(-1)!
  for (const name of ['keep-alive', 'proxy-authorization', 'te', 'trailer', 'proxy-connection']) t.equal(seen.headers[name], undefined, name)
  const before = upstream.seen.length
  const h2c = await rawRequest(gateway.port, rawGet('/public/h', ['Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA']).replace('Connection: close', 'Connection: Upgrade, HTTP2-Settings'))
  t.equal(h2c.status, 400)
  t.equal(upstream.seen.length, before, 'the upstream saw nothing')
})

t.test('B.28: auth cookies and Authorization stay at the gateway unless a route opts in', async (t) => {
  const { upstream, gateway } = await setup(t)
  const token = gateway.token('u1')
  await fetch(`${gateway.origin}/api/x`, { headers: { authorization: `Bearer ${token}`, cookie: '__Host-rt=secret-refresh; theme=dark; authgate_did=device' } })
  t.equal(upstream.seen.at(-1)?.headers.cookie, 'theme=dark')
  t.equal(upstream.seen.at(-1)?.headers.authorization, undefined)
  await fetch(`${gateway.origin}/public/x`, { headers: { cookie: '__Host-rt=secret-refresh' } })
  t.equal(upstream.seen.at(-1)?.headers.cookie, undefined, 'a Cookie header holding only auth cookies is dropped')
  await fetch(`${gateway.origin}/api/raw/x`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(upstream.seen.at(-1)?.headers.authorization, `Bearer ${token}`, 'forwardAuthorization: true')
  t.equal(upstream.seen.at(-1)?.headers['x-user-id'], 'u1', 'the longer prefix /api/raw won over /api')
})

t.test('B.31: forwarding headers come from the socket; the upstream Host is the configured one', async (t) => {
  const { upstream, gateway } = await setup(t)
  await rawRequest(gateway.port, rawGet('/public/f', ['X-Forwarded-For: 6.6.6.6', 'X-Forwarded-Proto: https', 'X-Forwarded-Host: evil.example', 'X-Forwarded-Port: 443', 'Forwarded: for=6.6.6.6;host=evil.example', 'X-Real-IP: 6.6.6.6']).replace('Host: gateway.test', 'Host: evil.example'))
  const seen = upstream.seen.at(-1)!
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.1')
  t.equal(seen.headers['x-forwarded-proto'], 'http')
  t.equal(seen.headers['x-forwarded-host'], undefined, 'L2: no X-Forwarded-Host from a client-chosen Host without a trusted proxy')
  t.equal(seen.headers['x-forwarded-port'], String(gateway.port), 'the port the client connected to, not its claim')
  t.equal(seen.headers.forwarded, 'for=127.0.0.1;proto=http', 'Forwarded rebuilt from the socket (RFC 7239)')
  t.equal(seen.headers['x-real-ip'], undefined)
  t.equal(seen.headers.host, `127.0.0.1:${upstream.port}`)
})

t.test('B.34: upstream Set-Cookie for auth cookie names and echoed identity headers are dropped', async (t) => {
  const { upstream, gateway } = await setup(t)
  upstream.handle((request, response) => {
    request.resume()
    response.setHeader('set-cookie', ['__Host-rt=attacker; Path=/', 'authgate_did=attacker', 'theme=light; Path=/'])
    response.setHeader('x-user-id', 'admin')
    response.setHeader('location', `http://127.0.0.1:${upstream.port}/public/next?a=1`)
    response.writeHead(302)
    response.end()
  })
  const answer = await fetch(`${gateway.origin}/public/x`, { redirect: 'manual' })
  t.equal(answer.status, 302)
  t.same(answer.headers.getSetCookie(), ['theme=light; Path=/'])
  t.equal(answer.headers.get('x-user-id'), null)
  t.equal(answer.headers.get('location'), '/public/next?a=1', 'B.33: the upstream address is not leaked')
})

t.test('metrics count requests by route and status, and auth failures by code', async (t) => {
  const { gateway } = await setup(t)
  await fetch(`${gateway.origin}/api/x`)
  await fetch(`${gateway.origin}/public/x`)
  const text = await (await fetch(`${gateway.origin}/metrics`)).text()
  t.match(text, /authgate_requests_total\{route="\/api",status="401"\} 1/)
  t.match(text, /authgate_requests_total\{route="\/public",status="200"\} 1/)
  t.match(text, /authgate_auth_failures_total\{code="AUTH_TOKEN_MISSING"\} 1/)
  t.match(text, /authgate_upstream_response_seconds_count\{route="\/public"\} 1/)
})

t.test('Expect: 100-continue is answered by the gateway, not forwarded (undici refuses it: it was a 502)', async (t) => {
  const { upstream, gateway } = await setup(t)
  const body = '{"a":1}'
  const answer = await rawRequest(gateway.port, ['POST /public/upload HTTP/1.1', 'Host: gateway.test', 'Content-Type: application/json',
    `Content-Length: ${body.length}`, 'Expect: 100-continue', 'Connection: close', '', body].join('\r\n'))
  t.match(answer.raw, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /)
  t.equal(upstream.seen.length, 1)
  t.equal(upstream.seen[0]?.headers.expect, undefined)
  t.equal(upstream.seen[0]?.method, 'POST')
})

t.test('L8: renamed identity headers: the default names are still stripped from clients and upstream echoes', async (t) => {
  const { upstream, gateway } = await setup(t, { headers: { userId: 'x-auth-sub', roles: 'x-auth-roles', sessionId: 'x-auth-sid', assertion: 'x-auth-jwt' } })
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'x-user-id': 'echo', 'x-auth-sub': 'echo' })
    response.end()
  })
  const token = gateway.token('u1', ['user'])
  const answer = await rawRequest(gateway.port, rawGet('/api/x', [`Authorization: Bearer ${token}`, 'X-User-Id: admin', 'X-User-Roles: admin', 'X-Session-Id: s', 'X-Authgate-Assertion: forged', 'X_User_Id: admin']))
  t.equal(answer.status, 200)
  const seen = upstream.seen[0]!
  for (const name of ['x-user-id', 'x-user-roles', 'x-session-id', 'x-authgate-assertion', 'x_user_id']) t.equal(seen.headers[name], undefined, name)
  t.equal(seen.headers['x-auth-sub'], 'u1')
  t.notMatch(answer.head.toLowerCase(), /x-user-id|x-auth-sub/)
})

t.test('L3: any absolute Location on the upstream origin is made relative and rewritePrefix maps back to the prefix', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/app', upstream: upstream.url, auth: 'none', rewritePrefix: '/v1' },
      { prefix: '/root', upstream: upstream.url, auth: 'none', rewritePrefix: '/' }
    ]
  })
  let location = ''
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(302, { location })
    response.end()
  })
  const cases: Array<[string, string, string]> = [
    ['/app/x', `http://127.0.0.1:${upstream.port}/v1/next?a=1`, '/app/next?a=1'],
    ['/app/x', `HTTP://127.0.0.1:${upstream.port}/v1/next`, '/app/next'],
    ['/app/x', `http://127.0.0.1:${upstream.port}`, '/'],
    ['/app/x', '/v1/login', '/app/login'],
    ['/app/x', '/v1', '/app'],
    ['/app/x', '/v10/x', '/v10/x'],
    ['/app/x', 'https://elsewhere.example/v1/x', 'https://elsewhere.example/v1/x'],
    ['/app/x', 'relative/path', 'relative/path'],
    ['/root/x', `http://127.0.0.1:${upstream.port}/login`, '/root/login'],
    ['/root/x', '/login?next=/a', '/root/login?next=/a']
  ]
  for (const [target, sent, expected] of cases) {
    location = sent
    const answer = await fetch(`${gateway.origin}${target}`, { redirect: 'manual' })
    t.equal(answer.headers.get('location'), expected, `${sent} → ${expected}`)
  }
})
