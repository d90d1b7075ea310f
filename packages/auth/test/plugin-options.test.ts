// Options: defaults, validation messages naming the option path, and the embedding surface (events, decorators,
// verifyCredentials, registration off, reuse in report mode).
import Fastify from 'fastify'
import t from 'tap'
import { normaliseOptions } from '../src/config.js'
import authgate, { type RefreshReuseEvent, type NewDeviceEvent } from '../src/index.js'
import { parseDuration } from '../src/config.js'
import { testKey } from './helpers/keys.js'
import { opaqueDeviceId } from '../src/http/cookies.js'
import { bearer, buildApp, cookieOf, login, PASSWORD, refresh, register, signIn, sleep, storeOf } from './helpers/app.js'

const keys = [testKey('EdDSA')]

t.test('defaults follow docs/design.md', async (t) => {
  const options = normaliseOptions({ tokens: { keys } })
  t.equal(options.tokens.accessTtl, 900)
  t.equal(options.refreshTtlMs, 30 * 86_400_000)
  t.equal(options.reuseGraceMs, 10_000)
  t.equal(options.revocationDelayMs, 5000)
  t.same(options.cookie, { name: 'authgate_rt', deviceName: 'authgate_did', secure: true, sameSite: 'strict', path: '/auth' })
  t.equal(options.prefix, '/auth')
  t.equal(options.reuseDetection, 'revoke')
  t.equal(parseDuration('15m', 'x'), 900_000)
  t.equal(parseDuration(10, 'x'), 10, 'a bare number is milliseconds')
  t.equal(parseDuration('500ms', 'x'), 500)
  t.equal(normaliseOptions({ tokens: { keys: [testKey('HS256')] } }).tokens.algorithm, 'HS256', 'the key decides the algorithm')
})

t.test('bad options fail app.ready() with the option path', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ tokens: {} }, /tokens\.keysDir: is required/],
    [{ tokens: { keys, accessTtl: 'soon' } }, /tokens\.accessTtl/],
    [{ tokens: { keys, reuseGrace: '2m' } }, /tokens\.reuseGrace/],
    [{ tokens: { keys, clockTolerance: Number.NaN } }, /tokens\.clockTolerance/],
    [{ tokens: { keys }, cookie: { sameSite: 'none', secure: false } }, /cookie\.sameSite/],
    [{ tokens: { keys }, cookie: { sameSite: 'sideways' } }, /cookie\.sameSite/],
    [{ tokens: { keys }, auth: { prefix: 'auth/' } }, /auth\.prefix/],
    [{ tokens: { keys }, auth: { reuseDetection: 'ignore' } }, /auth\.reuseDetection/],
    [{ tokens: { keys }, auth: { allowedOrigins: ['https://a.example/path'] } }, /auth\.allowedOrigins\[0\]/],
    [{ tokens: { keys }, rateLimit: { login: { max: 0, timeWindow: '1m' } } }, /rateLimit\.login\.max/],
    [{ tokens: { keys }, store: { mongodb: { url: 'mongodb://127.0.0.1:1', database: '' } } }, /store\.mongodb\.database/],
    [{ tokens: { keys }, events: { onLogin: () => undefined } }, /events\.onLogin/],
    [{ tokens: { keys: [{ kid: 'weak', algorithm: 'HS256', secret: 'short' }], algorithm: 'HS256' } }, /tokens\.keys\[0\]/]
  ]
  for (const [input, message] of cases) {
    const app = Fastify()
    // @ts-expect-error deliberately wrong options, as they may come from an untyped config file
    app.register(authgate, input)
    await t.rejects(async () => { await app.ready() }, message, JSON.stringify(input).slice(0, 80))
    await app.close()
  }
})

t.test('refresh is rate limited per IP', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: { refresh: { max: 2, timeWindow: '1m' } } } })
  const codes = []
  for (let attempt = 0; attempt < 3; attempt++) codes.push((await refresh(app, 'A'.repeat(43))).statusCode)
  t.same(codes, [401, 401, 429])
})

t.test('events: login, newDevice (once per device), logout, listener failures are contained', async (t) => {
  const seen: string[] = []
  const devices: NewDeviceEvent[] = []
  const app = await buildApp(t, 'memory', {
    options: {
      events: {
        login: () => { seen.push('login') },
        newDevice: (event) => { devices.push(event) },
        logout: async () => { throw new Error('listener failure must not break logout') }
      }
    }
  })
  app.authgate.events.on('logout', (event) => { seen.push(`logout:${event.reason}`) })
  await register(app, 'events@example.com')
  const first = await login(app, 'events@example.com')
  const deviceCookie = cookieOf(first, 'authgate_did')!.value
  await login(app, 'events@example.com', PASSWORD, { cookie: `authgate_did=${deviceCookie}` })
  t.equal(devices.length, 1, 'the second login from the same device is not new')
  // The event names the device by its opaque id, never by the cookie's value (issue #11 item 16).
  t.match(devices[0], { userId: String, deviceId: opaqueDeviceId(deviceCookie), ip: String })
  t.not(devices[0]?.deviceId, deviceCookie)
  const third = await login(app, 'events@example.com')
  t.equal(devices.length, 2, 'a login without the device cookie is a new device')
  const out = await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${cookieOf(third)!.value}` } })
  t.equal(out.statusCode, 204)
  t.same(seen, ['login', 'login', 'login', 'logout:logout'])
})

t.test('refreshReuse event: classified, with time since rotation and client changes', async (t) => {
  const reuses: RefreshReuseEvent[] = []
  const app = await buildApp(t, 'memory', { options: { events: { refreshReuse: (event) => { reuses.push(event) } } } })
  const { rt } = await signIn(app, 'reuse@example.com', { 'user-agent': 'browser' })
  t.equal((await refresh(app, rt, { 'user-agent': 'browser' })).statusCode, 200)
  await sleep(1100)
  const stolen = await refresh(app, rt, { 'user-agent': 'curl/8' })
  t.equal(stolen.json().code, 'AUTH_REFRESH_REUSED')
  t.equal(reuses.length, 1)
  t.match(reuses[0], { classification: 'theft', userAgentChanged: true, ipChanged: false, revoked: true })
  t.ok(reuses[0]!.sinceRotationMs >= 1000)

  const second = await signIn(app, 'reuse2@example.com', { 'user-agent': 'browser' })
  t.equal((await refresh(app, second.rt, { 'user-agent': 'browser' })).statusCode, 200)
  await sleep(1100)
  await refresh(app, second.rt, { 'user-agent': 'browser' })
  t.equal(reuses[1]?.classification, 'race', 'same client shortly after: a race')
})

t.test("reuseDetection: 'report' reports without revoking", async (t) => {
  const reuses: RefreshReuseEvent[] = []
  const app = await buildApp(t, 'memory', { options: { auth: { reuseDetection: 'report' }, events: { refreshReuse: (event) => { reuses.push(event) } } } })
  const { rt } = await signIn(app, 'report@example.com')
  const rotated = await refresh(app, rt)
  await sleep(1100)
  const replay = await refresh(app, rt)
  t.equal(replay.statusCode, 401)
  t.equal(replay.json().code, 'AUTH_REFRESH_INVALID')
  t.equal(reuses[0]?.revoked, false)
  t.equal((await refresh(app, cookieOf(rotated)!.value)).statusCode, 200, 'the rightful holder keeps the session')
})

t.test('verifyCredentials replaces the users collection; registration is then off', async (t) => {
  const app = await buildApp(t, 'memory', {
    options: {
      verifyCredentials: async (email, password) => {
        if (email === 'down@example.com') throw new Error('legacy system unreachable')
        if (email === 'broken@example.com') return { id: 'b1', roles: ['has,comma'] }
        if (email === 'js@example.com') return undefined as unknown as null
        return email === 'legacy@example.com' && password === 'legacy password' ? { id: 'legacy-7', roles: ['admin'] } : null
      }
    }
  })
  const ok = await login(app, 'legacy@example.com', 'legacy password')
  t.equal(ok.statusCode, 200)
  t.match(ok.json().user, { id: 'legacy-7', roles: ['admin'] })
  t.equal((await app.inject({ url: '/admin', headers: bearer(ok.json().accessToken) })).statusCode, 200)
  const refreshed = await refresh(app, cookieOf(ok)!.value)
  t.same(refreshed.json().user.roles, ['admin'], 'roles survive refresh from the session')
  t.equal((await login(app, 'legacy@example.com', 'wrong')).statusCode, 401)
  const down = await login(app, 'down@example.com', 'whatever')
  t.equal(down.statusCode, 503, 'a failing user source is an outage, not a wrong password')
  t.equal((await register(app, 'new@example.com')).statusCode, 404)
  t.equal((await login(app, 'broken@example.com', 'x')).statusCode, 503, 'a malformed user is the source\'s fault, never a 500')
  t.equal((await login(app, 'js@example.com', 'x')).statusCode, 401, 'undefined reads as no user')
})

t.test('registration: false answers 404', async (t) => {
  const app = await buildApp(t, 'memory', { options: { auth: { registration: false } } })
  const answer = await register(app, 'closed@example.com')
  t.equal(answer.statusCode, 404)
  t.equal(answer.json().code, 'AUTH_NOT_FOUND')
  const invalid = await app.inject({ method: 'POST', url: '/auth/register', payload: { nope: 1 } })
  t.equal(invalid.statusCode, 404, 'before body validation: an invalid body is 404 too, not 400')
  t.equal(invalid.json().code, 'AUTH_NOT_FOUND')
})

t.test('unknown paths under the prefix answer the contract JSON with a code', async (t) => {
  const app = await buildApp(t, 'memory')
  for (const method of ['GET', 'POST', 'DELETE'] as const) {
    const answer = await app.inject({ method, url: '/auth/no-such-thing' })
    t.equal(answer.statusCode, 404, method)
    t.same(answer.json(), { statusCode: 404, code: 'AUTH_NOT_FOUND', error: 'Not Found', message: 'Not found' }, method)
  }
})

t.test('roles are re-read from the user at refresh', async (t) => {
  const app = await buildApp(t, 'memory')
  const { rt, at, userId } = await signIn(app, 'promote@example.com')
  t.equal((await app.inject({ url: '/admin', headers: bearer(at) })).statusCode, 403)
  t.equal(await storeOf(app).setUserRoles(userId, ['user', 'admin']), true)
  const refreshed = await refresh(app, rt)
  t.same(refreshed.json().user.roles, ['user', 'admin'])
  t.equal((await app.inject({ url: '/admin', headers: bearer(refreshed.json().accessToken) })).statusCode, 200, 'the new role reaches the token')
})

t.test('custom prefix and cookie name', async (t) => {
  const app = await buildApp(t, 'memory', { options: { auth: { prefix: '/api/auth' }, cookie: { name: 'rt', secure: false, sameSite: 'lax' } } })
  await app.inject({ method: 'POST', url: '/api/auth/register', payload: { email: 'prefix@example.com', password: PASSWORD } })
  const answer = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'prefix@example.com', password: PASSWORD } })
  t.equal(answer.statusCode, 200)
  const cookie = cookieOf(answer, 'rt')
  t.match(cookie, { path: '/api/auth', httpOnly: true, sameSite: 'Lax' })
  t.notOk(cookie?.secure)
})
