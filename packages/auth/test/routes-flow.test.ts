// The HTTP contract (docs/design.md#http-contract, the plugin README's endpoint table), row by row, against a
// running app on BOTH stores.
import { createHash } from 'node:crypto'
import t from 'tap'
import { useTestDatabase } from '@authgate/test-kit/database'
import { bearer, buildApp, cookieOf, login, PASSWORD, refresh, register, setCookieHeaders, signIn, sleep, type StoreKind } from './helpers/app.js'

const { name: database, db } = await useTestDatabase(t, 'flow')
const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex')

for (const kind of ['memory', 'mongo'] as StoreKind[]) {
  t.test(`${kind}: register`, async (t) => {
    const app = await buildApp(t, kind, { database })
    const created = await register(app, `Reg-${kind}@Example.com`)
    t.equal(created.statusCode, 201)
    const user = created.json().user
    t.match(user, { id: String, email: `Reg-${kind}@Example.com`, roles: ['user'] })
    t.notOk('passwordHash' in user, 'no hash in the answer')
    const taken = await register(app, `reg-${kind}@example.COM`)
    t.equal(taken.statusCode, 409)
    t.equal(taken.json().code, 'AUTH_EMAIL_TAKEN')
    t.equal((await register(app, 'not-an-email')).statusCode, 400)
    t.equal((await register(app, `short-${kind}@example.com`, 'short')).statusCode, 400)
    t.equal((await app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'x@example.com' } })).statusCode, 400)
  })

  t.test(`${kind}: login, me, refresh rotates, reuse after grace revokes the family`, async (t) => {
    const app = await buildApp(t, kind, { database })
    const email = `flow-${kind}@example.com`
    await register(app, email)
    const logged = await login(app, email)
    t.equal(logged.statusCode, 200)
    const body = logged.json()
    t.match(body, { accessToken: String, tokenType: 'Bearer', expiresIn: 900, user: { id: String, email, roles: ['user'] } })
    t.equal(logged.headers['cache-control'], 'no-store')
    const header = setCookieHeaders(logged).find((line) => line.startsWith('authgate_rt='))!
    t.match(header, /^authgate_rt=[A-Za-z0-9_-]{43}; /, 'a 256-bit base64url token')
    for (const part of ['Path=/auth', 'HttpOnly', 'Secure', 'SameSite=Strict']) t.ok(header.includes(`; ${part}`), part)
    t.match(header, /Max-Age=(259199|2592000)/)
    t.notMatch(header, /Domain=/i)
    const rt1 = cookieOf(logged)!.value
    t.notOk(logged.body.includes(rt1), 'the refresh token is not in the body')
    t.ok(cookieOf(logged, 'authgate_did'), 'a device cookie is set')

    const me = await app.inject({ url: '/auth/me', headers: bearer(body.accessToken) })
    t.equal(me.statusCode, 200)
    t.match(me.json(), { user: { id: body.user.id, email, roles: ['user'] }, claims: { sub: body.user.id, sid: String, roles: ['user'] } })
    t.equal((await app.inject({ url: '/auth/me' })).statusCode, 401)

    const refreshed = await refresh(app, rt1)
    t.equal(refreshed.statusCode, 200)
    const rt2 = cookieOf(refreshed)!.value
    t.not(rt2, rt1, 'RT2 differs from RT1')
    t.match(refreshed.json(), { accessToken: String, tokenType: 'Bearer', expiresIn: 900, user: { id: body.user.id } })
    if (kind === 'mongo') {
      const docs = await db.collection('sessions').find({}).toArray()
      const dump = JSON.stringify(docs)
      t.notOk(dump.includes(rt1) || dump.includes(rt2), 'no plaintext refresh token in the database')
      const session = docs.find((doc) => doc.tokenHash === sha256(rt2))
      t.ok(session, 'the database holds the hash of RT2')
      t.ok(session?.previousHashes.includes(sha256(rt1)), 'RT1 is recorded as retired')
    }

    await sleep(1100)
    const reused = await refresh(app, rt1)
    t.equal(reused.statusCode, 401)
    t.equal(reused.json().code, 'AUTH_REFRESH_REUSED')
    t.match(reused.headers['www-authenticate'], /^Bearer/)
    t.equal(cookieOf(reused)?.maxAge, 0, 'a refused refresh clears the cookie')
    const afterTheft = await refresh(app, rt2)
    t.equal(afterTheft.statusCode, 401, 'RT2 dies with its family')
    const revokedMe = await app.inject({ url: '/auth/me', headers: bearer(refreshed.json().accessToken) })
    t.equal(revokedMe.statusCode, 401)
    t.equal(revokedMe.json().code, 'AUTH_SESSION_REVOKED', 'the access token of the revoked session dies at once on this instance')
  })

  t.test(`${kind}: 20 concurrent refreshes within grace all succeed with one successor`, async (t) => {
    const app = await buildApp(t, kind, { database, options: { tokens: { reuseGrace: '10s' } } })
    const { rt } = await signIn(app, `storm-${kind}@example.com`)
    const answers = await Promise.all(Array.from({ length: 20 }, async () => refresh(app, rt)))
    t.same(answers.map((answer) => answer.statusCode), Array(20).fill(200))
    const successors = new Set(answers.map((answer) => cookieOf(answer)?.value))
    t.equal(successors.size, 1, 'the family never forks')
    const [successor] = [...successors]
    t.not(successor, rt)
    const next = await refresh(app, successor!)
    t.equal(next.statusCode, 200, 'the successor keeps working')
  })

  t.test(`${kind}: logout`, async (t) => {
    const app = await buildApp(t, kind, { database })
    const { rt, at } = await signIn(app, `logout-${kind}@example.com`)
    const out = await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${rt}` } })
    t.equal(out.statusCode, 204)
    const cleared = setCookieHeaders(out).find((line) => line.startsWith('authgate_rt='))!
    for (const part of ['Max-Age=0', 'Path=/auth', 'HttpOnly', 'Secure', 'SameSite=Strict']) t.ok(cleared.includes(part), part)
    const replay = await refresh(app, rt)
    t.equal(replay.statusCode, 401)
    t.equal(replay.json().code, 'AUTH_REFRESH_INVALID', 'a logged-out token is invalid, not theft')
    t.equal((await app.inject({ url: '/auth/me', headers: bearer(at) })).statusCode, 401)
    t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${rt}` } })).statusCode, 204, 'second logout')
    t.equal((await app.inject({ method: 'POST', url: '/auth/logout' })).statusCode, 204, 'no cookie')
  })

  t.test(`${kind}: sessions list, revoke one, revoke others, logout-all`, async (t) => {
    const app = await buildApp(t, kind, { database })
    const email = `sessions-${kind}@example.com`
    const first = await signIn(app, email, { 'user-agent': 'phone' })
    const second = await login(app, email, PASSWORD, { 'user-agent': 'laptop' })
    const third = await login(app, email, PASSWORD, { 'user-agent': 'tablet' })
    const secondAt = second.json().accessToken
    const list = await app.inject({ url: '/auth/sessions', headers: bearer(secondAt) })
    t.equal(list.statusCode, 200)
    const sessions = list.json()
    t.equal(sessions.length, 3)
    t.match(sessions[0], { id: String, device: String, ip: String, userAgent: String, createdAt: String, lastUsedAt: String, current: Boolean })
    t.same(sessions.filter((s: { current: boolean }) => s.current).map((s: { userAgent: string }) => s.userAgent), ['laptop'])
    const phone = sessions.find((s: { userAgent: string }) => s.userAgent === 'phone')

    const stranger = await signIn(app, `stranger-${kind}@example.com`)
    t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${phone.id}`, headers: bearer(stranger.at) })).statusCode, 404, 'not the caller\'s')
    t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${phone.id}`, headers: bearer(secondAt) })).statusCode, 204)
    t.equal((await refresh(app, first.rt)).statusCode, 401, 'the revoked device cannot refresh')
    t.equal((await app.inject({ method: 'DELETE', url: '/auth/sessions/unknown-id', headers: bearer(secondAt) })).statusCode, 404)

    t.equal((await app.inject({ method: 'DELETE', url: '/auth/sessions', headers: bearer(secondAt) })).statusCode, 400, 'others=true is required')
    t.equal((await app.inject({ method: 'DELETE', url: '/auth/sessions?others=true', headers: bearer(secondAt) })).statusCode, 204)
    t.equal((await refresh(app, cookieOf(third)!.value)).statusCode, 401, 'the other session is gone')
    const remaining = (await app.inject({ url: '/auth/sessions', headers: bearer(secondAt) })).json()
    t.same(remaining.map((s: { userAgent: string }) => s.userAgent), ['laptop'])

    t.equal((await app.inject({ method: 'POST', url: '/auth/logout-all' })).statusCode, 401)
    t.equal((await app.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(secondAt) })).statusCode, 204)
    t.equal((await refresh(app, cookieOf(second)!.value)).statusCode, 401)
    t.equal((await app.inject({ url: '/auth/sessions', headers: bearer(secondAt) })).statusCode, 401, 'its access token is revoked too')
    t.equal((await refresh(app, stranger.rt)).statusCode, 200, 'other users are untouched')
  })

  t.test(`${kind}: jwks and route policies`, async (t) => {
    const app = await buildApp(t, kind, { database })
    const jwks = await app.inject({ url: '/.well-known/jwks.json' })
    t.equal(jwks.statusCode, 200)
    t.equal(jwks.json().keys.length, 1)
    t.notOk(JSON.stringify(jwks.json()).includes('"d"'), 'no private part')
    const { at } = await signIn(app, `policy-${kind}@example.com`)
    t.equal((await app.inject({ url: '/private' })).statusCode, 401)
    t.equal((await app.inject({ url: '/private', headers: bearer(at) })).statusCode, 200)
    t.equal((await app.inject({ url: '/admin', headers: bearer(at) })).json().code, 'AUTH_FORBIDDEN')
    t.same((await app.inject({ url: '/maybe' })).json(), { user: null })
    t.same((await app.inject({ url: '/public' })).json(), { user: null })
    t.equal((await app.inject({ url: '/guarded' })).statusCode, 401, 'app.authenticate as a preHandler requires a token')
    t.equal((await app.inject({ url: '/guarded', headers: bearer(at) })).statusCode, 200)
  })
}

t.test('mongo: expired and idle sessions are refused although their documents remain', async (t) => {
  const app = await buildApp(t, 'mongo', { database, options: { tokens: { idleTimeout: '1h' } } })
  const absolute = await signIn(app, 'expired@example.com')
  await db.collection('sessions').updateOne({ tokenHash: sha256(absolute.rt) }, { $set: { expiresAt: new Date(Date.now() - 1000) } })
  const refused = await refresh(app, absolute.rt)
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, 'AUTH_REFRESH_INVALID')
  t.equal(await db.collection('sessions').countDocuments({ tokenHash: sha256(absolute.rt) }), 1, 'the document is still there')

  const idle = await login(app, 'expired@example.com')
  const idleRt = cookieOf(idle)!.value
  await db.collection('sessions').updateOne({ tokenHash: sha256(idleRt) }, { $set: { lastUsedAt: new Date(Date.now() - 2 * 3_600_000) } })
  t.equal((await refresh(app, idleRt)).statusCode, 401, 'idle past the timeout')
  const list = await app.inject({ url: '/auth/sessions', headers: bearer(idle.json().accessToken) })
  t.same(list.json(), [], 'neither is listed')
})

t.test('real HTTP on loopback: login, refresh with the cookie, logout', async (t) => {
  const app = await buildApp(t, 'memory')
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  const registered = await fetch(`${base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'http@example.com', password: PASSWORD }) })
  t.equal(registered.status, 201)
  const logged = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'http@example.com', password: PASSWORD }) })
  t.equal(logged.status, 200)
  const cookie = logged.headers.getSetCookie().find((line) => line.startsWith('authgate_rt='))!.split(';')[0]!
  const refreshed = await fetch(`${base}/auth/refresh`, { method: 'POST', headers: { cookie, origin: base, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' } })
  t.equal(refreshed.status, 200, 'a same-origin browser-like refresh works')
  const next = refreshed.headers.getSetCookie().find((line) => line.startsWith('authgate_rt='))!.split(';')[0]!
  const out = await fetch(`${base}/auth/logout`, { method: 'POST', headers: { cookie: next, origin: base } })
  t.equal(out.status, 204)
})

for (const kind of ['memory', 'mongo'] as StoreKind[]) {
  t.test(`${kind}: logout racing refreshes never leaves a live session`, async (t) => {
    const app = await buildApp(t, kind, { database, options: { rateLimit: false } })
    for (let round = 0; round < 5; round++) {
      const { rt } = await signIn(app, `race-${round}-${kind}@example.com`)
      const [logout, ...refreshes] = await Promise.all([
        app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${rt}` } }),
        refresh(app, rt), refresh(app, rt), refresh(app, rt)
      ])
      t.equal(logout.statusCode, 204)
      for (const answer of refreshes) {
        const successor = cookieOf(answer)?.value
        if (answer.statusCode === 200 && successor !== undefined) {
          t.equal((await refresh(app, successor)).statusCode, 401, 'a successor issued during the logout is dead too')
        }
      }
    }
  })
}
