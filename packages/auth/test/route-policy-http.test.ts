// Issue #12 item 2 through real Fastify apps: the policy table over HTTP under defaultAuth none and required, a bad
// or unknown route policy key failing start-up (naming the route and the key), defaultAuth 'required' leaving the
// plugin's own endpoints, the JWKS, 404s and 405s as they were, and routes declared before the plugin loaded.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import authgate, { type AuthgateOptions } from '../src/index.js'
import { goodClaims, nowSeconds, signedWith, testKey } from './helpers/keys.js'
import { PASSWORD } from './helpers/app.js'
import { DEFAULTS, MODES, ROLES, STATUS, expectedAnswer, routeConfig, rowName, type OutcomeCase } from './helpers/policy-table.js'

const ISSUER = 'authgate-test'
const AUDIENCE = 'test'
const options = (extra: Partial<AuthgateOptions> = {}): AuthgateOptions => ({
  store: { memory: true },
  tokens: { keys: [testKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE },
  ...extra
})

async function plainApp (t: Test, extra: Partial<AuthgateOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(authgate, options(extra))
  return app
}

const whoami = async (request: { user: { sub: string } | null }): Promise<unknown> => ({ user: request.user?.sub ?? null })

t.test('the policy table over HTTP, under defaultAuth none and required', async (t) => {
  for (const defaultAuth of DEFAULTS) {
    const app = await plainApp(t, { defaultAuth })
    const paths: { path: string, mode: typeof MODES[number], roles: typeof ROLES[number] }[] = []
    for (const mode of MODES) {
      for (const roles of ROLES) {
        if (expectedAnswer(mode, defaultAuth, roles, 'no token') === 'refused') continue
        const path = `/r/${mode}/${roles === 'absent' ? 'absent' : roles.join('-') || 'empty'}`
        app.get(path, { config: routeConfig(mode, roles) }, whoami)
        paths.push({ path, mode, roles })
      }
    }
    await app.ready()
    const sign = (roles: string[]): string => app.authgate.tokens.sign({ sub: 'u1', sid: 's1', roles }).token
    const now = nowSeconds()
    const headers: Record<Exclude<OutcomeCase, 'keys unavailable'>, Record<string, string>> = {
      'no token': {},
      'valid, matching role': { authorization: `Bearer ${sign(['a'])}` },
      'valid, no matching role': { authorization: `Bearer ${sign(['other'])}` },
      invalid: { authorization: 'Bearer x.y.z' },
      expired: { authorization: `Bearer ${signedWith(testKey('EdDSA'), goodClaims({ iss: ISSUER, aud: AUDIENCE, roles: ['a'], iat: now - 4000, exp: now - 3000 }))}` }
    }
    for (const { path, mode, roles } of paths) {
      for (const [outcome, header] of Object.entries(headers) as [Exclude<OutcomeCase, 'keys unavailable'>, Record<string, string>][]) {
        const expected = expectedAnswer(mode, defaultAuth, roles, outcome)
        const response = await app.inject({ url: path, headers: header })
        const name = rowName(mode, defaultAuth, roles, outcome)
        t.equal(response.statusCode, STATUS[expected], name)
        if (expected === 'user') t.equal(response.json().user, 'u1', `${name}: request.user set`)
        else if (expected === 'anonymous') t.equal(response.json().user, null, `${name}: anonymous`)
        else t.equal(response.json().code, expected, `${name}: ${expected}`)
      }
    }
  }
})

t.test('an unknown or bad route policy key fails the route\'s registration, naming the route and the key', async (t) => {
  const app = await plainApp(t)
  t.throws(() => app.get('/reports', { config: { auth: 'required', scopes: ['read'] } as never }, whoami),
    /^route GET \/reports: config\.scopes is not an authgate route rule/)
  t.throws(() => app.get('/only-scopes', { config: { scopes: ['read'] } as never }, whoami), /route GET \/only-scopes: config\.scopes/)
  t.throws(() => app.post('/typo', { config: { auth: 'requried' } as never }, whoami), /^route POST \/typo: config\.auth must be one of/)
  t.throws(() => app.route({ method: ['GET', 'PUT'], url: '/roles', config: { roles: 'admin' } as never, handler: whoami }), /^route GET,PUT \/roles: config\.roles must be a list/)
  t.throws(() => app.get('/obj', { config: { auth: { mode: 'required', scopes: ['read'] } } as never }, whoami), /^route GET \/obj: config\.auth\.scopes is not a route policy key/)
  t.throws(() => app.get('/open-admin', { config: { auth: 'none', roles: ['admin'] } }, whoami), /route GET \/open-admin: config\.auth is 'none'/)
  await app.ready()
  for (const path of ['/reports', '/only-scopes', '/obj', '/open-admin']) {
    t.equal((await app.inject({ url: path })).statusCode, 404, `${path} was never registered: never public`)
  }
})

t.test('… inside a plugin, ready() fails with the same message', async (t) => {
  const app = await plainApp(t)
  await app.register(async (child) => {
    child.get('/fine', { config: { auth: 'required' } }, whoami)
    child.get('/reports', { config: { auth: { mode: 'optional', roels: ['a'] } } as never }, whoami)
  }, { prefix: '/api' })
    .then(() => t.fail('registration should fail'), (error: unknown) => {
      t.match(String(error), /route GET \/api\/reports: config\.auth\.roels is not a route policy key \(did you mean roles\?\)/)
    })
})

t.test('Fastify and other plugins keep their config keys', async (t) => {
  const app = await plainApp(t, { defaultAuth: 'required' })
  app.get('/limited', { config: { rateLimit: { max: 5 }, somePlugin: { on: true } } as never }, whoami)
  app.get('/open', { config: { auth: 'none', rateLimit: { max: 5 } } as never }, whoami)
  await app.ready()
  t.equal((await app.inject({ url: '/limited' })).json().code, 'AUTH_TOKEN_MISSING', 'accepted, and the default applies')
  t.equal((await app.inject({ url: '/open' })).statusCode, 200)
})

t.test('defaultAuth: required denies an unannotated route and leaves the plugin\'s endpoints as they were', async (t) => {
  const app = await plainApp(t, { defaultAuth: 'required', cookie: { secure: false } })
  app.get('/unannotated', whoami)
  app.post('/unannotated', whoami)
  app.get('/open', { config: { auth: 'none' } }, whoami)
  app.get('/guarded', { preHandler: app.authenticate }, whoami)
  await app.ready()
  for (const method of ['GET', 'POST'] as const) {
    const response = await app.inject({ method, url: '/unannotated' })
    t.equal(response.statusCode, 401, `${method} unannotated: 401`)
    t.equal(response.json().code, 'AUTH_TOKEN_MISSING')
    t.equal(response.headers['www-authenticate'], 'Bearer realm="authgate"')
  }
  t.equal((await app.inject({ url: '/open' })).statusCode, 200, 'auth: none stays public')
  t.equal((await app.inject({ url: '/guarded' })).statusCode, 401)

  const json = { 'content-type': 'application/json' }
  const registered = await app.inject({ method: 'POST', url: '/auth/register', headers: json, payload: { email: 'd@example.test', password: PASSWORD } })
  t.equal(registered.statusCode, 201, '/auth/register')
  const login = await app.inject({ method: 'POST', url: '/auth/login', headers: json, payload: { email: 'd@example.test', password: PASSWORD } })
  t.equal(login.statusCode, 200, '/auth/login')
  const { accessToken } = login.json<{ accessToken: string }>()
  const cookie = login.cookies.find((c) => c.name === 'authgate_rt')
  t.ok(cookie, 'refresh cookie set')
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', cookies: { authgate_rt: cookie?.value ?? '' } })
  t.equal(refreshed.statusCode, 200, '/auth/refresh')
  const bearer = { authorization: `Bearer ${accessToken}` }
  t.equal((await app.inject({ url: '/auth/me', headers: bearer })).statusCode, 200, '/auth/me with a token')
  t.equal((await app.inject({ url: '/auth/me' })).statusCode, 401, '/auth/me without')
  t.equal((await app.inject({ url: '/unannotated', headers: bearer })).statusCode, 200, 'unannotated with a token')
  t.equal((await app.inject({ url: '/guarded', headers: bearer })).statusCode, 200)
  const refreshCookie = refreshed.cookies.find((c) => c.name === 'authgate_rt')?.value ?? ''
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', cookies: { authgate_rt: refreshCookie } })).statusCode, 204, '/auth/logout')
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout' })).statusCode, 204, '/auth/logout without a cookie')
  const jwks = await app.inject({ url: '/.well-known/jwks.json' })
  t.equal(jwks.statusCode, 200, 'JWKS')
  t.ok(jwks.json().keys.length > 0)
  const missing = await app.inject({ url: '/nowhere' })
  t.equal(missing.statusCode, 404, 'an unknown URL stays 404')
  t.equal((await app.inject({ url: '/auth/nowhere' })).json().code, 'AUTH_NOT_FOUND', 'an unknown auth URL too')
  t.equal((await app.inject({ method: 'DELETE', url: '/unannotated' })).statusCode, 404, 'an unrouted method too')
  const wrongMethod = await app.inject({ method: 'GET', url: '/auth/login' })
  t.equal(wrongMethod.statusCode, 405, 'GET /auth/login stays 405')
  t.equal((await app.inject({ method: 'GET', url: '/auth/logout-all' })).statusCode, 405, 'GET /auth/logout-all stays 405')
})

t.test('app.authenticate requires a token on a route without a policy, under defaultAuth none', async (t) => {
  const app = await plainApp(t)
  app.get('/guarded', { preHandler: app.authenticate }, whoami)
  app.get('/guarded-optional', { preHandler: app.authenticate, config: { auth: 'optional' } }, whoami)
  app.get('/plain', whoami)
  await app.ready()
  t.equal((await app.inject({ url: '/guarded' })).json().code, 'AUTH_TOKEN_MISSING')
  t.equal((await app.inject({ url: '/guarded-optional' })).statusCode, 200, 'its config still rules')
  t.equal((await app.inject({ url: '/plain' })).statusCode, 200, 'defaultAuth none: public')
})

t.test('defaultAuth: a bad value fails registration', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(authgate, options({ defaultAuth: 'optional' as never })) }, /defaultAuth: must be one of none, required/)
})

t.test('routes declared before the plugin loaded: compiled at their first request, never public when invalid', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  void app.register(authgate, options({ defaultAuth: 'required' }))
  // Not awaited: these routes exist before the plugin's onRoute hook does.
  app.get('/early', whoami)
  app.get('/early-open', { config: { auth: 'none' } }, whoami)
  app.get('/early-bad', { config: { scopes: ['read'] } as never }, whoami)
  await app.ready()
  t.equal((await app.inject({ url: '/early' })).json().code, 'AUTH_TOKEN_MISSING', 'defaultAuth applies')
  t.equal((await app.inject({ url: '/early-open' })).statusCode, 200)
  for (let attempt = 0; attempt < 2; attempt++) {
    const bad = await app.inject({ url: '/early-bad' })
    t.equal(bad.statusCode, 500, 'an invalid policy refuses every request')
    t.notMatch(bad.body, /scopes/, 'without telling the client about the configuration')
  }
})

t.test('rules a later onRoute hook adds are enforced (the policy is compiled from the route\'s final options)', async (t) => {
  const app = await plainApp(t)
  // An application's own hook, added after authgate's: it runs after authgate's onRoute has seen the route.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/admin')) route.config = Object.assign(route.config ?? {}, { roles: ['admin'] })
  })
  app.get('/admin/panel', whoami)
  app.get('/open', whoami)
  await app.ready()
  const anonymous = await app.inject({ url: '/admin/panel' })
  t.equal(anonymous.statusCode, 401, 'anonymous: 401')
  t.equal(anonymous.json().code, 'AUTH_TOKEN_MISSING')
  const sign = (roles: string[]): string => app.authgate.tokens.sign({ sub: 'u1', sid: 's1', roles }).token
  const withoutRole = await app.inject({ url: '/admin/panel', headers: { authorization: `Bearer ${sign(['user'])}` } })
  t.equal(withoutRole.statusCode, 403, 'without the role: 403')
  t.equal(withoutRole.json().code, 'AUTH_FORBIDDEN')
  t.equal((await app.inject({ url: '/admin/panel', headers: { authorization: `Bearer ${sign(['admin'])}` } })).statusCode, 200, 'with it: 200')
  t.equal((await app.inject({ url: '/open' })).statusCode, 200, 'routes the hook leaves alone stay as declared')
})

t.test('a bad rule a later onRoute hook adds fails ready(), naming the route', async (t) => {
  const app = await plainApp(t)
  app.addHook('onRoute', (route) => {
    if (route.url === '/reports') route.config = Object.assign(route.config ?? {}, { roles: 'admin' })
  })
  app.get('/reports', whoami)
  await t.rejects(async () => { await app.ready() }, /route GET \/reports: config\.roles must be a list/)
})
