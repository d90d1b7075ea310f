// Issue #11 item 6: several cookies of one name (cookie tossing) are never resolved. The counting, the places a
// tossed copy is expired, the security log line (no values), and `__Host-` names.
import { connect } from 'node:net'
import t from 'tap'
import Fastify from 'fastify'
import authgate from '../src/index.js'
import { countCookies, tossedCopyLocations } from '../src/http/cookie-copies.js'
import { opaqueDeviceId } from '../src/http/cookies.js'
import { normaliseOptions } from '../src/options/normalise.js'
import { testKey } from './helpers/keys.js'
import { PASSWORD, setCookieHeaders, storeOf } from './helpers/app.js'

t.test('countCookies reads names as the cookie parser does', async (t) => {
  t.equal(countCookies(undefined, 'rt'), 0)
  t.equal(countCookies('rt=a', 'rt'), 1)
  t.equal(countCookies('rt=a; rt=b', 'rt'), 2)
  t.equal(countCookies(' \trt \t=a;x=1;rt=', 'rt'), 2, 'spaces and tabs around the name, an empty copy')
  t.equal(countCookies('x=rt=1; rt; yrt=2; rtx=3', 'rt'), 0, 'the name inside a value, without "=", or as part of a name')
  t.equal(countCookies('RT=a; r%74=b; rt=c', 'rt'), 1, 'case variants and percent-encoded names are other cookies')
})

t.test('two separate Cookie header lines on the wire (Node joins them with "; ") are two copies', async (t) => {
  const app = Fastify()
  await app.register(authgate, { store: { memory: true }, tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' } })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end('POST /auth/refresh HTTP/1.1\r\nHost: app.example.com\r\nCookie: authgate_rt=first\r\nCookie: authgate_rt=second\r\n' +
        'Content-Length: 0\r\nConnection: close\r\n\r\n')
    })
    let text = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => { text += chunk }).on('end', () => { resolve(text) }).on('error', reject)
  })
  t.match(answer, /^HTTP\/1\.1 401 /)
  t.match(answer, /AUTH_REFRESH_AMBIGUOUS/)
})

t.test('tossedCopyLocations: every Path that reaches the endpoints, every Domain above the host', async (t) => {
  const places = tossedCopyLocations(['/auth/refresh', '/auth/logout'], 'App.Example.com').map(({ path, domain }) => `${path}|${domain ?? ''}`)
  for (const place of ['/|', '/auth|', '/auth/|', '/auth/refresh|', '/auth/logout|', '/auth/refresh|example.com', '/auth/refresh|app.example.com', '/|example.com']) {
    t.ok(places.includes(place), place)
  }
  t.notOk(places.some((place) => place.endsWith('|com')), 'never a top-level domain')
  t.same(tossedCopyLocations(['/auth/refresh'], '127.0.0.1').map(({ domain }) => domain), [undefined, undefined, undefined, undefined], 'an IP address: host-only')
  t.same(tossedCopyLocations(['/a'], 'bad_host!.example').map(({ domain }) => domain), [undefined, undefined], 'a Host that is no DNS name: host-only')
})

t.test('two refresh cookies: 401 AUTH_REFRESH_AMBIGUOUS, all expired, a warn log without values, nothing rotated', async (t) => {
  const lines: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(authgate, { store: { memory: true }, tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' } })
  t.teardown(() => app.close())
  const tokens: string[] = []
  for (const email of ['victim@example.com', 'attacker@example.com']) {
    await app.inject({ method: 'POST', url: '/auth/register', payload: { email, password: PASSWORD } })
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: PASSWORD } })
    tokens.push(/authgate_rt=([^;]+)/.exec(setCookieHeaders(login).join('\n'))?.[1] ?? '')
  }
  const [victim = '', attacker = ''] = tokens
  for (const url of ['/auth/refresh', '/auth/logout']) {
    const answer = await app.inject({ method: 'POST', url, headers: { host: 'app.example.com:8443', cookie: `authgate_rt=${attacker}; authgate_rt=${victim}` } })
    t.equal(answer.statusCode, 401, url)
    t.equal(answer.json().code, 'AUTH_REFRESH_AMBIGUOUS')
    const cleared = setCookieHeaders(answer).filter((line) => line.startsWith('authgate_rt=;') && line.includes('Max-Age=0'))
    t.ok(cleared.some((line) => line.includes('Path=/auth;') && !line.includes('Domain')), 'our own cookie is cleared')
    t.ok(cleared.some((line) => line.includes('Path=/auth/refresh;') && line.includes('Domain=example.com')), 'a parent-domain copy is expired')
  }
  const warnings = lines.filter((line) => line.includes('cookie_ambiguous'))
  t.equal(warnings.length, 2, 'one security event per refusal')
  t.match(JSON.parse(warnings[0] ?? '{}'), { level: 40, event: 'cookie_ambiguous', cookie: 'refresh', copies: 2 })
  t.notOk(lines.some((line) => line.includes(victim) || line.includes(attacker)), 'no cookie value in any log line')
  const after = await app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `authgate_rt=${victim}` } })
  t.equal(after.statusCode, 200, 'the victim\'s session was neither rotated nor revoked')
})

t.test('a __Host- refresh cookie: Path=/, no Domain; refused without secure', async (t) => {
  t.throws(() => normaliseOptions({ cookie: { name: '__Host-rt', secure: false }, tokens: { keys: [testKey('EdDSA')] } }), /__Host- or __Secure- prefix requires cookie.secure/)
  t.throws(() => normaliseOptions({ cookie: { deviceName: '__Secure-did', secure: false }, tokens: { keys: [testKey('EdDSA')] } }), /cookie.deviceName/)
  const app = Fastify()
  await app.register(authgate, { store: { memory: true }, cookie: { name: '__Host-authgate_rt' }, tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' } })
  t.teardown(() => app.close())
  await app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'host@example.com', password: PASSWORD } })
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'host@example.com', password: PASSWORD } })
  const line = setCookieHeaders(login).find((header) => header.startsWith('__Host-authgate_rt=')) ?? ''
  t.match(line, /; Path=\/;/)
  t.notMatch(line, /Domain/i)
  const token = /^__Host-authgate_rt=([^;]+)/.exec(line)?.[1] ?? ''
  const refreshed = await app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `__Host-authgate_rt=${token}` } })
  t.equal(refreshed.statusCode, 200)
  const twice = await app.inject({ method: 'POST', url: '/auth/refresh', headers: { host: 'app.example.com', cookie: `__Host-authgate_rt=x; __Host-authgate_rt=y` } })
  t.equal(twice.json().code, 'AUTH_REFRESH_AMBIGUOUS')
  t.same(setCookieHeaders(twice).filter((header) => header.startsWith('__Host-authgate_rt=')).length, 1, 'one clearing line: no other copy can exist')
})

t.test('GET /auth/sessions shows a session stored before opaque device ids with its device derived, never raw', async (t) => {
  const app = Fastify()
  await app.register(authgate, { store: { memory: true }, tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' } })
  t.teardown(() => app.close())
  const now = new Date()
  const legacyValue = 'LegacyDeviceCookie0000'
  await storeOf(app).createSession({
    id: 'legacy-session', userId: 'u-legacy', familyId: 'legacy-session', tokenHash: 'f'.repeat(64), roles: [], email: null, device: legacyValue,
    ip: '127.0.0.1', userAgent: 'ua', createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 60_000)
  })
  const token = app.authgate.tokens.sign({ sub: 'u-legacy', sid: 'legacy-session', roles: [] }).token
  const listed = await app.inject({ method: 'GET', url: '/auth/sessions', headers: { authorization: `Bearer ${token}` } })
  t.equal(listed.statusCode, 200)
  t.notOk(listed.body.includes(legacyValue), 'the stored cookie value is not shown')
  t.equal(listed.json()[0].device, opaqueDeviceId(legacyValue))
})

t.test('after the upgrade to opaque device ids, a device recorded under its cookie value is not a new device', async (t) => {
  const app = Fastify()
  const newDevices: string[] = []
  await app.register(authgate, { store: { memory: true }, tokens: { keys: [testKey('EdDSA')], issuer: 'authgate-test', audience: 'test' } })
  app.authgate.events.on('newDevice', (event) => { newDevices.push(event.deviceId) })
  t.teardown(() => app.close())
  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'upgrade@example.com', password: PASSWORD } })
  const userId: string = registered.json().user.id
  // What a login before the upgrade left behind: the device record keyed by the cookie's value.
  const cookieValue = 'DeviceCookieBeforeUpgr'
  await storeOf(app).recordDevice({ userId, deviceId: cookieValue, userAgent: 'ua', ip: '127.0.0.1', now: new Date() })
  const login = await app.inject({ method: 'POST', url: '/auth/login', headers: { cookie: `authgate_did=${cookieValue}` }, payload: { email: 'upgrade@example.com', password: PASSWORD } })
  t.equal(login.statusCode, 200)
  t.same(newDevices, [], 'no newDevice event (nor webhook) for a known device')
  t.same((await storeOf(app).listDevices(userId)).map((device) => device.deviceId), [opaqueDeviceId(cookieValue)], 'rewritten to the opaque id')
  await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'upgrade@example.com', password: PASSWORD } })
  t.equal(newDevices.length, 1, 'a browser without the cookie is still a new device')
})
