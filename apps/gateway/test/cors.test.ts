// Issue #16 item 5: `cors` in the gateway. Preflights answered before authentication (auth prefix and every route,
// never reaching an upstream), the headers on real answers (the gateway's own refusals included) only for listed
// origins compared exactly, upstreams' own Access-Control-* headers replaced, and `cors.origins` as the CSRF list of
// the cookie endpoints unless auth.allowedOrigins sets it apart. Real gateway, real recording upstream, loopback.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { ConfigError, parseConfig } from '../src/config.js'
import { configWarnings } from '../src/cli/config-warnings.js'
import { createCorsHooks } from '../src/cors.js'
import { startGateway, startUpstream, type RecordingUpstream, type TestGateway } from './helpers.js'

const APP = 'https://app.example.com'
const PASSWORD = 'correct horse battery staple'

interface Answer { status: number, headers: Headers, body: string }

async function send (gateway: TestGateway, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(`${gateway.origin}${path}`, { redirect: 'manual', ...init })
  return { status: response.status, headers: response.headers, body: await response.text() }
}

function preflight (gateway: TestGateway, path: string, origin: string, method = 'POST', headers = 'content-type, authorization'): Promise<Answer> {
  return send(gateway, path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } })
}

function corsHeaderNames (answer: Answer): string[] {
  return [...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))
}

async function corsGateway (t: Test, upstream: RecordingUpstream, cors: Record<string, unknown> | null = { origins: [APP], credentials: true }, extra: Record<string, unknown> = {}): Promise<TestGateway> {
  return startGateway(t, {
    cookie: { secure: false },
    auth: { registration: true },
    rateLimit: false,
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' }
    ],
    ...(cors === null ? {} : { cors }),
    ...extra
  })
}

t.test('a preflight from a listed origin is answered by the gateway: 204, its headers, no auth check, no upstream', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream, { origins: [APP], credentials: true, maxAge: '15m' })
  for (const path of ['/auth/login', '/auth/refresh', '/api/things/1', '/public/page', '/nowhere']) {
    const answer = await preflight(gateway, path, APP, 'PUT')
    t.equal(answer.status, 204, `${path}: 204, not the route's 401 or 404`)
    t.equal(answer.headers.get('access-control-allow-origin'), APP, path)
    t.equal(answer.headers.get('access-control-allow-credentials'), 'true', path)
    t.equal(answer.headers.get('access-control-allow-methods'), 'PUT', path)
    t.equal(answer.headers.get('access-control-allow-headers'), 'content-type, authorization', path)
    t.equal(answer.headers.get('access-control-max-age'), '900', path)
    t.match(answer.headers.get('vary'), /Origin/, path)
    t.equal(answer.body, '')
  }
  t.equal(upstream.seen.length, 0, 'no preflight reached the upstream')
  // An OPTIONS that is not a preflight (no Access-Control-Request-Method) is an ordinary request.
  const plain = await send(gateway, '/api/x', { method: 'OPTIONS', headers: { origin: APP } })
  t.equal(plain.status, 401, 'a plain OPTIONS still needs a token')
  t.equal(plain.headers.get('access-control-allow-origin'), APP, 'and its refusal is readable by the page')
})

t.test('a preflight from an unlisted origin: 403 GATEWAY_ORIGIN_REFUSED, no Access-Control-* header, no upstream', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream)
  for (const origin of ['https://evil.example', `${APP}.evil`, 'https://evilapp.example.com', 'null', `${APP}:443`, `${APP}/`, 'http://app.example.com', `${APP}:8443`, 'HTTPS://APP.EXAMPLE.COM', `${APP}, https://evil.example`]) {
    for (const path of ['/auth/login', '/api/x', '/public/x']) {
      const answer = await preflight(gateway, path, origin)
      t.equal(answer.status, 403, `${origin} ${path}`)
      t.match(JSON.parse(answer.body), { code: 'GATEWAY_ORIGIN_REFUSED' })
      t.same(corsHeaderNames(answer), [], `${origin} ${path}: no Access-Control-* header`)
    }
  }
  t.equal(upstream.seen.length, 0, 'nothing reached the upstream')
})

t.test('real answers carry the headers for a listed origin only: auth endpoints, proxied answers, the gateway\'s own 401/404/502', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream)
  const headers = { origin: APP }
  const email = 'cors@example.com'
  t.equal((await send(gateway, '/auth/register', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })).status, 201)
  const login = await send(gateway, '/auth/login', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })
  const denied = await send(gateway, '/api/x', { headers })
  const expired = await send(gateway, '/api/x', { headers: { ...headers, authorization: 'Bearer not-a-token' } })
  const proxied = await send(gateway, '/api/x', { headers: { ...headers, authorization: `Bearer ${gateway.token('u1')}` } })
  const missing = await send(gateway, '/nowhere', { headers })
  const badLogin = await send(gateway, '/auth/login', { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'wrong password here' }) })
  for (const [name, answer, status] of [['login', login, 200], ['401 no token', denied, 401], ['401 bad token', expired, 401], ['proxied', proxied, 200], ['404', missing, 404], ['401 login', badLogin, 401]] as const) {
    t.equal(answer.status, status, name)
    t.equal(answer.headers.get('access-control-allow-origin'), APP, `${name}: Access-Control-Allow-Origin`)
    t.equal(answer.headers.get('access-control-allow-credentials'), 'true', `${name}: Access-Control-Allow-Credentials`)
    t.match(answer.headers.get('vary'), /\bOrigin\b/, `${name}: Vary: Origin`)
    t.match(answer.headers.get('access-control-expose-headers'), /WWW-Authenticate, Retry-After/, `${name}: exposes WWW-Authenticate and Retry-After`)
  }
  t.match(denied.headers.get('www-authenticate'), /^Bearer/)

  for (const origin of ['https://evil.example', `${APP}.evil`, 'null', undefined]) {
    const answer = await send(gateway, '/api/x', { headers: { ...(origin === undefined ? {} : { origin }), authorization: `Bearer ${gateway.token('u1')}` } })
    t.equal(answer.status, 200, String(origin))
    t.same(corsHeaderNames(answer), [], `${String(origin)}: no Access-Control-* header`)
    t.match(answer.headers.get('vary'), /\bOrigin\b/, `${String(origin)}: Vary: Origin all the same (a cache must not reuse it for another origin)`)
  }
})

t.test('an upstream\'s own CORS headers never widen the policy: removed, the gateway\'s put in their place', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream, { origins: [APP] })
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, {
      'content-type': 'text/plain', vary: 'Accept-Encoding', 'x-total-count': '7',
      'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'DELETE',
      'access-control-allow-headers': '*', 'access-control-max-age': '86400', 'access-control-expose-headers': 'X-Total-Count'
    })
    response.end('ok')
  })
  const listed = await send(gateway, '/public/x', { headers: { origin: APP } })
  t.equal(listed.headers.get('access-control-allow-origin'), APP, 'the listed origin, not *')
  t.equal(listed.headers.get('access-control-allow-credentials'), null, 'no credentials: cors.credentials is false')
  t.equal(listed.headers.get('access-control-allow-methods'), null)
  t.equal(listed.headers.get('access-control-allow-headers'), null)
  t.equal(listed.headers.get('access-control-max-age'), null)
  t.match(listed.headers.get('access-control-expose-headers'), /^X-Total-Count, WWW-Authenticate/, 'the upstream may still expose its own headers to a listed origin')
  t.equal(listed.headers.get('vary'), 'Accept-Encoding, Origin', 'the upstream\'s Vary is kept and Origin added')
  const other = await send(gateway, '/public/x', { headers: { origin: 'https://evil.example' } })
  t.same(corsHeaderNames(other), [], 'an unlisted origin gets none of them, the upstream\'s * included')

  // Without `cors` the gateway takes no part: an upstream that does its own CORS keeps working as before.
  const plain = await corsGateway(t, upstream, null)
  const passed = await send(plain, '/public/x', { headers: { origin: 'https://evil.example' } })
  t.equal(passed.headers.get('access-control-allow-origin'), '*', 'no cors section: the upstream\'s headers pass as they are')
  const noPreflight = await preflight(plain, '/api/x', APP)
  t.equal(noPreflight.status, 401, 'and preflights are requests like any other')
})

t.test('one list: cors.origins pass the CSRF check of the cookie endpoints unless auth.allowedOrigins sets it apart', async (t) => {
  const upstream = await startUpstream(t)
  async function refreshFrom (gateway: TestGateway, origin: string): Promise<number> {
    const email = `user-${Math.random().toString(36).slice(2)}@example.com`
    await send(gateway, '/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })
    const login = await fetch(`${gateway.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) })
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ')
    return (await send(gateway, '/auth/refresh', { method: 'POST', headers: { origin, cookie } })).status
  }
  const shared = await corsGateway(t, upstream, { origins: [APP], credentials: true })
  t.equal(await refreshFrom(shared, APP), 200, 'a CORS origin with credentials refreshes')
  t.equal(await refreshFrom(shared, 'https://evil.example'), 403, 'another origin does not')
  t.same(parseConfig({ tokens: { keysDir: '/k' }, routes: [], cors: { origins: [APP], credentials: true } }).allowedOrigins, [APP])

  const noCredentials = await corsGateway(t, upstream, { origins: [APP] })
  t.equal(await refreshFrom(noCredentials, APP), 403, 'without credentials the CORS origins are not cookie callers')

  const apart = await corsGateway(t, upstream, { origins: [APP], credentials: true }, { auth: { registration: true, allowedOrigins: ['https://other.example.com'] } })
  t.equal(await refreshFrom(apart, APP), 403, 'auth.allowedOrigins set: it alone decides')
  t.equal(await refreshFrom(apart, 'https://other.example.com'), 200)
  const apartEmpty = parseConfig({ tokens: { keysDir: '/k' }, routes: [], auth: { allowedOrigins: [] }, cors: { origins: [APP], credentials: true } })
  t.same(apartEmpty.allowedOrigins, [], 'even set to [] (no cross-origin cookie calls at all)')

  const csrfOnly = await corsGateway(t, upstream, null, { auth: { registration: true, allowedOrigins: [APP] } })
  const answer = await preflight(csrfOnly, '/auth/refresh', APP)
  t.same(corsHeaderNames(answer), [], 'auth.allowedOrigins alone does not turn CORS on')
})

t.test('origins are read once into their serialized form and compared exactly', async (t) => {
  const config = parseConfig({
    tokens: { keysDir: '/k' },
    routes: [],
    cors: { origins: ['HTTP://LOCALHOST:80', 'https://App.Example.com/', 'https://app.example.com:443', 'http://127.0.0.1:8081', 'https://xn--bcher-kva.example', 'https://bücher.example'] }
  })
  t.same(config.cors?.origins, ['http://localhost', 'https://app.example.com', 'http://127.0.0.1:8081', 'https://xn--bcher-kva.example'], 'lower case, default ports dropped, a trailing slash dropped, each once, IDN in punycode')
  t.equal(config.cors?.credentials, false, 'credentials off unless asked for')
  t.equal(config.cors?.maxAgeSeconds, 600, 'preflights cached 10 minutes by default')
  t.equal(parseConfig({ tokens: { keysDir: '/k' }, routes: [] }).cors, undefined, 'no section: no CORS')

  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream, { origins: ['HTTP://LOCALHOST:80', 'http://127.0.0.1:8081'] })
  t.equal((await preflight(gateway, '/api/x', 'http://localhost')).status, 204, 'the serialized form a browser sends matches')
  for (const origin of ['HTTP://LOCALHOST:80', 'http://localhost:80', 'http://localhost/', 'http://LOCALHOST', 'http://127.0.0.1:8082', 'http://127.0.0.1', 'http://localhost.evil', 'http://evil.localhost', 'null']) {
    const answer = await preflight(gateway, '/api/x', origin)
    t.equal(answer.status, 403, `${origin}: not the serialized form of a listed origin`)
    t.same(corsHeaderNames(answer), [])
  }
})

t.test('a bad cors section is refused at configuration time, naming the key', async (t) => {
  function problems (cors: unknown): readonly string[] {
    try {
      parseConfig({ tokens: { keysDir: '/k' }, routes: [], cors }, { file: 'gw.yaml' })
    } catch (error) {
      if (error instanceof ConfigError) return error.issues
      throw error
    }
    throw new Error('expected a ConfigError')
  }
  t.match(problems({ origins: ['*'], credentials: true }), [/^cors\.origins\[0\]: wildcards are not accepted: list each origin/])
  t.match(problems({ origins: ['*'] }), [/^cors\.origins\[0\]: wildcards are not accepted/], 'without credentials too')
  t.match(problems({ origins: ['https://*.example.com'] }), [/^cors\.origins\[0\]: wildcards are not accepted/])
  t.match(problems({ origins: ['null'] }), [/^cors\.origins\[0\]: null is not accepted/])
  t.match(problems({ origins: [APP, 'https://app.example.com/path'] }), ['cors.origins[1]: must be an origin (scheme://host[:port]), without a path'])
  t.match(problems({ origins: ['app.example.com'] }), [/^cors\.origins\[0\]: must be an origin like https:\/\/app\.example\.com/])
  t.match(problems({ origins: ['ftp://app.example.com'] }), [/^cors\.origins\[0\]: must be an origin \(scheme/])
  t.match(problems({ origins: ['https://user:pw@app.example.com'] }), [/^cors\.origins\[0\]: must be an origin/])
  t.match(problems({ origins: [] }), [/^cors\.origins: /], 'an empty list (remove the section to turn CORS off)')
  t.match(problems({ origins: [APP], methods: ['GET'] }), [/^cors\.methods: unknown key/])
  t.match(problems({ origins: [APP], credentials: 'yes' }), ['cors.credentials: must be true or false'])
  t.match(problems({ origins: [APP], maxAge: '3d' }), [/^cors\.maxAge: must be from /])
  t.same(problems({ credentials: true }), ['cors.origins: is required'])
  t.match(problems(['https://app.example.com']), [/^cors: must be an object/])
})

t.test('AUTHGATE_CORS_* set the section from the environment; config check warns of plain-HTTP origins', async (t) => {
  const config = parseConfig({ tokens: { keysDir: '/k' }, routes: [] }, { env: { AUTHGATE_CORS_ORIGINS: `${APP},http://127.0.0.1:5173`, AUTHGATE_CORS_CREDENTIALS: 'true', AUTHGATE_CORS_MAX_AGE: '1h' } })
  t.same(config.cors, { origins: [APP, 'http://127.0.0.1:5173'], credentials: true, maxAgeSeconds: 3600 })
  t.same(config.allowedOrigins, [APP, 'http://127.0.0.1:5173'], 'and they are the CSRF list')

  const raw = { tokens: { keysDir: '/k' }, routes: [], cors: { origins: ['http://app.example.com', 'http://localhost:3000', APP], credentials: true, maxAge: 600 } }
  const warnings = configWarnings(parseConfig(raw), raw)
  t.same(warnings.filter((line) => line.includes('plain-HTTP')), ['cors.origins contains the plain-HTTP origin http://app.example.com: a page on it can be altered in transit and then calls the gateway as its user'], 'once, under the key the file used; loopback is fine')
  t.ok(warnings.some((line) => line.startsWith('cors.maxAge is 600: 600 milliseconds')), 'a bare number is milliseconds: 600 was probably meant as seconds')
})

t.test('the gateway\'s 429 and 502 are readable by a listed origin too', async (t) => {
  const upstream = await startUpstream(t)
  const closed = await startUpstream(t)
  await new Promise<void>((resolve) => { closed.server.close(() => { resolve() }) })
  const gateway = await startGateway(t, {
    cookie: { secure: false },
    rateLimit: { login: { max: 1, timeWindow: '1m' } },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }, { prefix: '/down', upstream: closed.url, auth: 'none' }],
    cors: { origins: [APP], credentials: true }
  })
  const login = (): Promise<Answer> => send(gateway, '/auth/login', { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@example.com', password: PASSWORD }) })
  await login()
  const limited = await login()
  const down = await send(gateway, '/down/x', { headers: { origin: APP } })
  for (const [name, answer, status] of [['429', limited, 429], ['502', down, 502]] as const) {
    t.equal(answer.status, status, name)
    t.equal(answer.headers.get('access-control-allow-origin'), APP, name)
    t.equal(answer.headers.get('access-control-allow-credentials'), 'true', name)
    t.match(answer.headers.get('access-control-expose-headers'), /Retry-After/, name)
  }
  t.ok(limited.headers.get('retry-after'), 'and the page can read when to retry')
})

t.test('the forward-auth endpoint is left out: a preflight there is never a 204, its answers carry no CORS header', async (t) => {
  // Envoy's ext_authz sends the client's method (and, with path_prefix, the original path under the endpoint): a
  // preflight answered 204 there would read as "allow" without any identity.
  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream)
  for (const path of ['/auth/verify', '/auth/verify/x', '/auth/verify/api/things?x=1']) {
    const answer = await send(gateway, path, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET', 'x-original-uri': '/public/x' } })
    t.equal(answer.status, 404, `${path}: the endpoint's own 404 (it serves GET), not a 2xx`)
    t.same(corsHeaderNames(answer), [], `${path}: no Access-Control-* header`)
  }
  const verified = await send(gateway, '/auth/verify', { headers: { origin: APP, 'x-original-uri': '/public/x' } })
  t.equal(verified.status, 200, 'the endpoint still answers its proxy')
  t.same(corsHeaderNames(verified), [], 'without CORS headers for the page\'s origin')
  t.equal((await preflight(gateway, '/auth/verifyx', APP)).status, 204, 'a path that only starts with the same letters is not the endpoint')

  const moved = await corsGateway(t, upstream, { origins: [APP], credentials: true }, { auth: { registration: true, verifyPath: '/auth/forward' } })
  t.ok((await preflight(moved, '/auth/forward/x', APP, 'GET')).status >= 300, 'auth.verifyPath moved: left out where it is')
  t.equal((await preflight(moved, '/auth/verify', APP, 'GET')).status, 204, 'and the old path is an ordinary one')
})

t.test('a preflight to a target the gateway refuses gets that refusal (400, 414), not a 204', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream, { origins: [APP], credentials: true }, { server: { maxUrlLength: 256 } })
  for (const [path, status] of [['/api//x', 400], ['/API/x', 400], [`/api/${'a'.repeat(300)}`, 414]] as const) {
    const answer = await preflight(gateway, path, APP)
    t.equal(answer.status, status, path.slice(0, 20))
    t.equal(answer.headers.get('access-control-allow-origin'), APP, 'the refusal is readable by the page')
    t.equal(answer.headers.get('access-control-allow-methods'), null, 'but allows no method')
  }
  t.equal(upstream.seen.length, 0)
})

t.test('preflight inputs: only well-formed method and header lists are echoed; Vary is exact on 204 and 403', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await corsGateway(t, upstream)
  for (const headers of ['content-type;x', 'a,,b', 'x'.repeat(1025), 'a,', ',a', 'a b', 'x-a\u00e9']) {
    const answer = await preflight(gateway, '/api/x', APP, 'POST', headers)
    t.equal(answer.status, 204, headers.slice(0, 20))
    t.equal(answer.headers.get('access-control-allow-headers'), null, `${headers.slice(0, 20)}: not echoed`)
    t.equal(answer.headers.get('access-control-allow-methods'), 'POST')
  }
  t.equal((await preflight(gateway, '/api/x', APP, 'POST', 'x'.repeat(1024))).headers.get('access-control-allow-headers'), 'x'.repeat(1024), '1024 bytes is still echoed')
  t.equal((await preflight(gateway, '/api/x', APP, 'POST', 'X-Foo ,\tx-bar')).headers.get('access-control-allow-headers'), 'x-foo ,\tx-bar', 'echoed lower-case')
  for (const method of ['GE(T', 'GET POST', 'GET,POST', 'M'.repeat(65)]) {
    const answer = await preflight(gateway, '/api/x', APP, method)
    t.equal(answer.status, 204, method.slice(0, 20))
    t.equal(answer.headers.get('access-control-allow-methods'), null, `${method.slice(0, 20)}: not echoed`)
  }
  const vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers'
  t.equal((await preflight(gateway, '/api/x', APP)).headers.get('vary'), vary, '204: Vary names all three')
  t.equal((await preflight(gateway, '/api/x', 'https://evil.example')).headers.get('vary'), vary, '403: the same Vary')
})

t.test('the onSend hook alone decides the Access-Control-* headers, whatever else set them', async (t) => {
  // Not only an upstream's headers (headers.ts removes those): a route or a plugin setting them is overridden too.
  async function app (credentials: boolean) {
    const hooks = createCorsHooks({ origins: [APP], credentials, maxAgeSeconds: 600 }, '/auth/verify')
    const fastify = Fastify({ logger: false })
    fastify.addHook('onRequest', hooks.preflight)
    fastify.addHook('onSend', hooks.headers)
    fastify.get('/x', async (_request, reply) => reply.headers({
      'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'DELETE',
      'access-control-allow-headers': '*', 'access-control-max-age': '86400', 'access-control-allow-private-network': 'true',
      'access-control-expose-headers': 'X-Total-Count'
    }).send('ok'))
    t.teardown(() => fastify.close())
    return fastify
  }
  const withCredentials = await app(true)
  for (const origin of ['https://evil.example', undefined]) {
    const answer = await withCredentials.inject({ url: '/x', headers: origin === undefined ? {} : { origin } })
    t.same(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-')), [], `${String(origin)}: none of them`)
  }
  const listed = await withCredentials.inject({ url: '/x', headers: { origin: APP } })
  t.same(Object.keys(listed.headers).filter((name) => name.startsWith('access-control-')).sort(),
    ['access-control-allow-credentials', 'access-control-allow-origin', 'access-control-expose-headers'], 'a listed origin: the gateway\'s three only')
  t.equal(listed.headers['access-control-allow-origin'], APP, 'the origin, not *')
  t.equal(listed.headers['access-control-expose-headers'], 'X-Total-Count, WWW-Authenticate, Retry-After, X-Next-Cursor, Link')
  const noCredentials = await (await app(false)).inject({ url: '/x', headers: { origin: APP } })
  t.equal(noCredentials.headers['access-control-allow-origin'], APP)
  t.equal(noCredentials.headers['access-control-allow-credentials'], undefined, 'no credentials unless configured')
})
