// B.29/B.30 over raw sockets: every path-policy bypass spelling gets 400/401/403/404 without admin rights and the
// upstream sees nothing; the path the upstream receives byte-equals the canonical path the policy evaluated.
import t from 'tap'
import { rawGet, rawRequest, startGateway, startUpstream, type TeardownHost } from './helpers.js'

const B29 = [
  '/public/../admin/users', '/public/%2e%2e/admin/users', '/public/%2E%2E%2Fadmin/users', '/public/..%2fadmin',
  '/public/%252e%252e%252fadmin', '/public/..;/admin', '/public/.%2e/admin', '/public\\..\\admin', '/ADMIN/users',
  '/admin/users/', '//admin/users', '/admin%2Fusers', '/admin/users%00', '/%61dmin/users'
]
const B30 = ['http://internal:8080/admin', 'http://127.0.0.1/public/x', '//evil.example/x', '@evil.example/', '*']

async function setup (t: TeardownHost) {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] }
    ]
  })
  return { upstream, gateway }
}

t.test('B.29: every bypass spelling, anonymous and as a non-admin user, never reaches the upstream', async (t) => {
  const { upstream, gateway } = await setup(t)
  const userToken = gateway.token('u1', ['user'])
  for (const target of B29) {
    const anonymous = await rawRequest(gateway.port, rawGet(target))
    t.ok([400, 401, 403, 404].includes(anonymous.status), `${target} anonymous → ${anonymous.status}`)
    t.match(anonymous.body, /"code":"(GATEWAY_BAD_REQUEST|GATEWAY_NOT_FOUND|AUTH_TOKEN_MISSING|AUTH_FORBIDDEN)"/, `${target}: a JSON error`)
    const user = await rawRequest(gateway.port, rawGet(target, [`Authorization: Bearer ${userToken}`]))
    t.ok([400, 403, 404].includes(user.status), `${target} as a user → ${user.status}`)
  }
  t.same(upstream.seen.map((seen) => seen.url), [], 'the upstream saw nothing')
})

t.test('the same spellings that stay inside /admin reach the upstream for an admin, canonical and byte-equal', async (t) => {
  const { upstream, gateway } = await setup(t)
  const admin = gateway.token('root', ['admin'])
  const cases: Array<[string, string]> = [
    ['/admin/users/', '/admin/users/'],
    ['/%61dmin/users', '/admin/users'],
    ['/admin/caf%c3%a9?x=%2e%2e', '/admin/caf%C3%A9?x=%2e%2e'],
    ['/admin/a%20b', '/admin/a%20b']
  ]
  for (const [sent, canonical] of cases) {
    const answer = await rawRequest(gateway.port, rawGet(sent, [`Authorization: Bearer ${admin}`]))
    t.equal(answer.status, 200, sent)
    t.equal(upstream.seen.at(-1)?.url, canonical, `${sent} arrives upstream as ${canonical}`)
  }
  // Refused even for an admin: these spellings mean something else to different parsers.
  for (const target of ['/admin%2Fusers', '/admin/users%00', '/admin/../admin/users', '//admin/users']) {
    t.equal((await rawRequest(gateway.port, rawGet(target, [`Authorization: Bearer ${admin}`]))).status, 400, target)
  }
  t.equal(upstream.seen.length, cases.length)
})

t.test('B.30: absolute-form and authority tricks get 400 and the upstream host never changes', async (t) => {
  const { upstream, gateway } = await setup(t)
  for (const target of B30) {
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.ok([400, 404].includes(answer.status), `${target} → ${answer.status}`)
    t.notMatch(answer.body, /evil|internal/, 'no echo of the target host')
  }
  t.equal(upstream.seen.length, 0)
  await rawRequest(gateway.port, rawGet('/public/ok').replace('Host: gateway.test', 'Host: evil.example'))
  t.equal(upstream.seen.at(-1)?.headers.host, `127.0.0.1:${upstream.port}`)
})

t.test('prefixes match on segment boundaries and case-sensitively; no route is a JSON 404', async (t) => {
  const { upstream, gateway } = await setup(t)
  // Another case of a configured prefix is refused outright (see the nested-prefix test below).
  for (const target of ['/Public/x', '/PUBLIC']) {
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.equal(answer.status, 400, target)
    t.match(JSON.parse(answer.body), { statusCode: 400, code: 'GATEWAY_BAD_REQUEST' })
  }
  for (const target of ['/publicx', '/nothing', '/']) {
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.equal(answer.status, 404, target)
    t.match(JSON.parse(answer.body), { statusCode: 404, code: 'GATEWAY_NOT_FOUND' })
  }
  t.equal((await rawRequest(gateway.port, rawGet('/public'))).status, 200, 'the bare prefix is the route')
  t.same(upstream.seen.map((seen) => seen.url), ['/public'])
})

t.test('a catch-all `/` route yields to longer prefixes and to the gateway\'s own endpoints', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' }
    ]
  })
  t.equal((await fetch(`${gateway.origin}/`)).status, 200)
  t.equal((await fetch(`${gateway.origin}/anything/else?q=1`)).status, 200)
  t.equal((await fetch(`${gateway.origin}/apix`)).status, 200, '/apix is not under /api')
  t.equal((await fetch(`${gateway.origin}/api/x`)).status, 401)
  t.equal((await rawRequest(gateway.port, rawGet('/anything/../api/x'))).status, 400)
  t.same(await (await fetch(`${gateway.origin}/healthz`)).json(), { status: 'ok' })
  t.equal((await fetch(`${gateway.origin}/.well-known/jwks.json`)).status, 200)
  t.equal((await fetch(`${gateway.origin}/auth/me`)).status, 401, 'the plugin still answers /auth')
  t.same(upstream.seen.map((seen) => seen.url), ['/', '/anything/else?q=1', '/apix'])
})

t.test('loose spellings of a configured prefix (case, ;params, trailing dots/spaces) never fall to a weaker route', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' },
      { prefix: '/api/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] },
      { prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] }
    ]
  })
  const user = gateway.token('u1', ['user'])
  const spellings = [
    '/api/Admin/users', '/api/ADMIN', '/api/admin;x/users', '/api/admin./users', '/api/admin%20/users', '/api/%41dmin/users',
    '/ADMIN/users', '/Admin', '/admin;x/users', '/admin;jsessionid=1', '/admin%20/users', '/admin./users', '/admin..%20/users',
    '/API/admin/users', '/Api/x', '/api;x/admin/users', '/api%20/admin/users'
  ]
  for (const target of spellings) {
    for (const headers of [[], [`Authorization: Bearer ${user}`]]) {
      const answer = await rawRequest(gateway.port, rawGet(target, headers))
      t.ok([400, 401, 403].includes(answer.status), `${target} (${headers.length === 0 ? 'anonymous' : 'user'}) → ${answer.status}`)
      t.match(answer.body, /"code":"(GATEWAY_BAD_REQUEST|AUTH_TOKEN_MISSING|AUTH_FORBIDDEN)"/)
    }
  }
  t.same(upstream.seen.map((seen) => seen.url), [], 'the upstream saw none of them')
  // Exact prefixes and unrelated look-alikes still route as before.
  t.equal((await rawRequest(gateway.port, rawGet('/api/admin/users', [`Authorization: Bearer ${user}`]))).status, 403)
  t.equal((await rawRequest(gateway.port, rawGet('/api/users', [`Authorization: Bearer ${user}`]))).status, 200)
  t.equal((await rawRequest(gateway.port, rawGet('/api/administrators', [`Authorization: Bearer ${user}`]))).status, 200)
  t.equal((await rawRequest(gateway.port, rawGet('/adminx/users'))).status, 200)
  t.equal((await rawRequest(gateway.port, rawGet('/Other/x;y'))).status, 200)
  t.same(upstream.seen.map((seen) => seen.url), ['/api/users', '/api/administrators', '/adminx/users', '/Other/x;y'])
})

t.test('issue #11 item 7: folded spellings of a stricter nested prefix are refused 400 on every route', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'optional' },
      { prefix: '/api/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] },
      { prefix: '/docs', upstream: upstream.url, auth: 'none' }
    ]
  })
  const user = gateway.token('u1', ['user'])
  const spellings = [
    '/api/admin.json', '/api/admin.xml', '/api/admin.html', '/api/admin.json.', '/api/admin;a.json', '/api/admin%3F/users', '/api/admin%23x',
    '/api/adm%C4%B1n/users', '/api/adm%C4%B0n', '/api/%EF%BD%81%EF%BD%84%EF%BD%8D%EF%BD%89%EF%BD%8E/users', '/api/admin%EF%BC%8Fusers',
    '/api/x/%E2%80%A5/admin/users', '/api/ad%E2%80%8Bmin', '/%E2%84%AA/%E2%80%A5/api/admin', '/api/%C5%BFub/%E2%80%A5/admin',
    '/api/x/.../admin/users', '/api/x/y/.../.../admin/users', '/api/x/.../ADMIN/users', '/api/x/%2e../admin', '/api/x/...;x/admin',
    '/api/admin.json/', '/api/admin.json;x/', '/api/%EF%BC%8561dmin', '/api%E2%88%95admin', '/api%E2%81%84admin/users',
    '/api%E2%A7%B8admin', '/api/x%E2%88%96..%E2%88%96admin', '/api/a%CC%81dmin', '/api/admin%CD%8F', '/api/admin%EF%B8%8F/users'
  ]
  for (const target of spellings) {
    for (const headers of [[], [`Authorization: Bearer ${user}`]]) {
      const answer = await rawRequest(gateway.port, rawGet(target, headers))
      t.equal(answer.status, 400, `${target} (${headers.length === 0 ? 'anonymous' : 'user'})`)
      t.match(answer.body, /"code":"GATEWAY_BAD_REQUEST"/)
    }
  }
  t.same(upstream.seen.map((seen) => seen.url), [], 'the upstream saw none of them')
  // Spellings of a prefix that is no stricter than the route they match are not a way past anything.
  for (const target of ['/api/admin/users.json', '/api/users.json', '/api/administrators.json', '/static/app.js', '/docs.html', '/Docs/x']) {
    const answer = await rawRequest(gateway.port, rawGet(target, [`Authorization: Bearer ${gateway.token('root', ['admin'])}`]))
    t.equal(answer.status, 200, `${target} still routes`)
  }
})

t.test('issue #11 item 2: a target over server.maxUrlLength is 414 (JSON) before any other work; a head over the cap 431', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { server: { maxUrlLength: 1024 }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  const ok = await rawRequest(gateway.port, rawGet(`/public/${'a'.repeat(1024 - 8)}`))
  t.equal(ok.status, 200, 'exactly maxUrlLength passes')
  for (const target of [`/public/${'a'.repeat(1024 - 7)}`, `/public/${'.'.repeat(4000)}x`, `/public/x?${'%'.repeat(5000)}`]) {
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.equal(answer.status, 414, `${target.length} characters`)
    t.match(JSON.parse(answer.body), { statusCode: 414, code: 'GATEWAY_URI_TOO_LONG' })
  }
  const huge = await rawRequest(gateway.port, rawGet(`/public/${'a'.repeat(40_000)}`))
  t.equal(huge.status, 431, 'a head beyond maxUrlLength + 16 KiB is cut off by the HTTP parser')
  t.equal(upstream.seen.length, 1, 'only the first request reached the upstream')
  const defaults = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  t.equal((await rawRequest(defaults.port, rawGet(`/public/${'a'.repeat(8192)}`))).status, 414, 'the default is 8 KiB')
})
