// Refresh under faults and at the edges of the grace window (review findings 1 and 5): an outage during a refresh
// must never turn the client's retry into "reuse" (docs/design.md#keys: an outage must not look like a logout), and a
// retired token stops being worth anything once its grace window is over.
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { hashRefreshToken } from '../src/sessions/refresh-token.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { UserRecord } from '../src/stores/store.js'
import { bearer, buildApp, cookieOf, refresh, signIn, sleep } from './helpers/app.js'

/** A memory store whose user read fails on demand, like a database blip in the middle of a refresh. */
class FlakyUserStore extends MemorySessionStore {
  failUserReads = 0
  override async findUserById (id: string): Promise<UserRecord | null> {
    if (this.failUserReads > 0) {
      this.failUserReads--
      throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 1 })
    }
    return super.findUserById(id)
  }
}

t.test('a user read failing during refresh: 503, and the same token still refreshes after the grace window', async (t) => {
  const store = new FlakyUserStore()
  const reuses: unknown[] = []
  const app = await buildApp(t, 'memory', { options: { store, events: { refreshReuse: (event) => { reuses.push(event) } } } })
  const { rt } = await signIn(app, 'flaky@example.com')

  store.failUserReads = 1
  const failed = await refresh(app, rt)
  t.equal(failed.statusCode, 503, 'an outage is a 503')
  t.equal(cookieOf(failed), undefined, 'no cookie change: the client keeps its token')

  await sleep(1200) // past reuseGrace (1s in the test app)
  const retried = await refresh(app, rt)
  t.equal(retried.statusCode, 200, 'the retry with the same token succeeds: it was never retired')
  t.same(reuses, [], 'no refreshReuse event')
  const me = await app.inject({ url: '/auth/me', headers: bearer(retried.json<{ accessToken: string }>().accessToken) })
  t.equal(me.statusCode, 200)
})

t.test('signing keys unavailable at refresh: 503, and the same token still refreshes later', async (t) => {
  const reuses: unknown[] = []
  const app = await buildApp(t, 'memory', { options: { events: { refreshReuse: (event) => { reuses.push(event) } } } })
  const { rt } = await signIn(app, 'keys@example.com')
  const tokens = app.authgate.tokens
  const sign = tokens.sign.bind(tokens)
  tokens.sign = () => { throw new AuthError('AUTH_STORE_UNAVAILABLE', { message: 'signing keys unavailable' }) }
  const failed = await refresh(app, rt)
  t.equal(failed.statusCode, 503)
  tokens.sign = sign

  await sleep(1200)
  const retried = await refresh(app, rt)
  t.equal(retried.statusCode, 200, 'the token was not retired by the failed refresh')
  t.same(reuses, [])
})

t.test('grace window over: logout with the retired token ends nothing, the sealed successor is dropped', async (t) => {
  const store = new MemorySessionStore()
  const app = await buildApp(t, 'memory', { options: { store, reuseDetection: 'report' } })
  const { rt: rt1 } = await signIn(app, 'grace@example.com')
  const second = await refresh(app, rt1)
  const rt2 = cookieOf(second)!.value
  const rt3 = cookieOf(await refresh(app, rt2))!.value

  // Within the window a logout with the just-retired token still ends the session (a lost response).
  const logoutWithin = await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${rt2}` } })
  t.equal(logoutWithin.statusCode, 204)
  t.not((await store.findByPreviousHash(hashRefreshToken(rt2)))?.revokedAt, null, 'revoked within the window')

  const other = await signIn(app, 'grace2@example.com')
  const o2 = cookieOf(await refresh(app, other.rt))!.value
  await sleep(1200)
  await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${other.rt}` } })
  t.equal((await store.findByTokenHash(hashRefreshToken(o2), new Date(), new Date(0)))?.revokedAt, null,
    'after the window the retired token does not end the session')
  t.equal((await refresh(app, o2)).statusCode, 200, 'the rightful holder carries on')

  // Report mode: an old token after the window is reported; the expired sealed successor is cleared on the way.
  const third = await signIn(app, 'grace3@example.com')
  const t2 = cookieOf(await refresh(app, third.rt))!.value
  cookieOf(await refresh(app, t2))
  await sleep(1200)
  t.equal((await refresh(app, third.rt)).statusCode, 401)
  t.equal((await store.findByPreviousHash(hashRefreshToken(t2)))?.grace, null, 'the expired grace entry is gone')
  t.ok(rt3.length > 0)
})
