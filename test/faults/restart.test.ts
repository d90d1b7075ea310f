// docs/design.md#failure-behaviour, "a process restart": an app on the MongoDB store, closed and rebuilt with the same
// keys (a deploy, a crash and restart). Access and refresh tokens issued before keep working, a token retired just
// before the restart still gets its successor within the grace window, revocations made before it still hold from the
// first request after it, and a rotation claim left behind by an instance that died mid-rotation never logs the user
// out.
import t from 'tap'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, login, logout, refresh, register, sha256, signIn, sleep, startApp, tryCall } from './helpers/app.js'

const { url, name: database, db } = await useTestDatabase(t, 'restart')
const tokens = { reuseGrace: '10s' }

t.test('closed and rebuilt with the same keys: issued access and refresh tokens keep working', async (t) => {
  const first = await startApp(t, { url, database, options: { tokens } })
  const alice = await signIn(first.base, 'alice@example.com')
  const kept = await signIn(first.base, 'kept@example.com')
  const rotated = await refresh(first.base, kept.rt)
  t.equal(rotated.status, 200)
  const ended = await signIn(first.base, 'ended@example.com')
  t.equal((await logout(first.base, ended.rt)).status, 204)
  // Other recent revocations (a busy deployment): the first revocation poll of the new app has some reading to do.
  const earlier = Date.now() - 60_000
  await db.collection<{ _id: string, revokedAt: Date, expiresAt: Date }>('revocations').insertMany(Array.from({ length: 5000 }, (_, index) => ({
    _id: `other-session-${index}`, revokedAt: new Date(earlier + index), expiresAt: new Date(earlier + 86_400_000)
  })))
  await first.close()

  const second = await startApp(t, { url, database, options: { tokens } })
  // First request after the restart: the revocation made before it must already hold. On a busy machine the first
  // poll may still be reading (5000 tombstones): tokens with a session then answer 503 until it ends, never 200.
  let revoked = await call(second.base, '/private', { bearer: ended.at })
  const started = Date.now()
  while (revoked.status === 503 && Date.now() - started < 15_000) {
    t.equal(revoked.body.code, 'AUTH_STORE_UNAVAILABLE', 'a 503 while the first poll reads')
    await sleep(200)
    revoked = await call(second.base, '/private', { bearer: ended.at })
  }
  t.equal(revoked.status, 401, `a session logged out before the restart stays revoked from the first request (got ${revoked.status})`)
  t.equal(revoked.body.code, 'AUTH_SESSION_REVOKED')

  const me = await call(second.base, '/auth/me', { bearer: alice.at })
  t.equal(me.status, 200, 'the access token issued before the restart verifies')
  t.equal(me.body.user.id, alice.userId)
  t.equal((await call(second.base, '/private', { bearer: String(rotated.body.accessToken) })).status, 200)

  const again = await refresh(second.base, alice.rt)
  t.equal(again.status, 200, 'the refresh token issued before the restart rotates')
  t.ok(again.rt !== undefined && again.rt !== alice.rt)
  t.equal((await refresh(second.base, again.rt!)).status, 200, 'and its successor too')

  const grace = await refresh(second.base, kept.rt)
  t.equal(grace.status, 200, 'a token retired just before the restart still gets its successor (grace window)')
  t.equal(grace.rt, rotated.rt, 'the same successor as before the restart')

  const stillEnded = await refresh(second.base, ended.rt)
  t.equal(stillEnded.status, 401)
  t.equal(stillEnded.body.code, 'AUTH_REFRESH_INVALID')
  t.equal((await call(second.base, '/.well-known/jwks.json')).body.keys[0].kid, 'faults-eddsa', 'same key set')
})

t.test('an instance that died between claiming a rotation and writing it never logs the user out', async (t) => {
  const app = await startApp(t, { url, database, options: { tokens } })
  const rotations = db.collection<{ _id: string, at: Date, expiresAt: Date }>('rotations')
  const year = 365 * 86_400_000

  // A claim from a crash long ago (the holder is gone for good).
  const old = await signIn(app.base, 'crash-old@example.com')
  await rotations.insertOne({ _id: sha256(old.rt), at: new Date(Date.now() - 600_000), expiresAt: new Date(Date.now() + year) })
  const recovered = await refresh(app.base, old.rt)
  t.equal(recovered.status, 200, `a stale claim is taken over: the refresh succeeds (${recovered.status} ${recovered.body?.code})`)
  if (recovered.status === 200) t.equal((await refresh(app.base, recovered.rt!)).status, 200, 'and the family goes on')

  // A claim from a crash just now: the outcome is unknown for a moment, so 503 (retry), never 401.
  const fresh = await signIn(app.base, 'crash-now@example.com')
  await rotations.insertOne({ _id: sha256(fresh.rt), at: new Date(), expiresAt: new Date(Date.now() + year) })
  const first = await refresh(app.base, fresh.rt)
  t.not(first.status, 401, 'never a 401 for a token that was never rotated')
  t.not(first.rt, '', 'the cookie is not cleared')
  let answer = first
  const started = Date.now()
  while (answer.status === 503 && Date.now() - started < 15_000) {
    t.equal(answer.body.code, 'AUTH_STORE_UNAVAILABLE')
    t.equal(answer.rt, undefined, 'a 503 leaves the cookie alone')
    await sleep(Math.min(Number(answer.headers.get('retry-after') ?? 1), 6) * 1000)
    answer = await refresh(app.base, fresh.rt)
  }
  t.equal(answer.status, 200, `the client's retry succeeds once the claim is stale (${answer.status} ${answer.body?.code}, after ${Date.now() - started} ms)`)
  const doc = await db.collection('sessions').findOne({ _id: fresh.sid as never })
  t.equal(doc?.revokedAt, null, 'the session was not revoked')
})

t.test('closing while refreshes are in flight (a graceful restart): each is answered, and every client goes on', async (t) => {
  // Fastify keeps a client's keep-alive connection open up to keepAliveTimeout (72 s by default) during close():
  // an app setting, not the plugin's; kept short here so the test measures the plugin, not that wait.
  const first = await startApp(t, { url, database, options: { tokens }, server: { keepAliveTimeout: 500 } })
  t.equal((await register(first.base, 'drain@example.com')).status, 201)
  const held: string[] = []
  for (let index = 0; index < 12; index++) held.push((await login(first.base, 'drain@example.com')).rt!)
  // Twelve open connections, so that every refresh below reaches the app before it stops accepting.
  await Promise.all(held.map(async () => call(first.base, '/private')))

  // close() begins once the server has read the refreshes' requests (a fixed 20 ms sleep raced with the clients on a
  // fast machine: close() dropped the idle connections before any request arrived), or after 5 s at most.
  let arrived = 0
  first.app.server.on('request', (request: { url?: string }) => { if (request.url === '/auth/refresh') arrived++ })
  const inFlight = Promise.all(held.map(async (rt) => tryCall(first.base, '/auth/refresh', { cookie: rt, timeoutMs: 10_000 })))
  for (let waited = 0; arrived < held.length && waited < 5000; waited += 5) await sleep(5)
  const closing = Date.now()
  await first.close()
  const closeMs = Date.now() - closing
  const answers = await inFlight
  const outcomes = answers.map((answer) => answer.status === 0 ? `no answer (${answer.ms} ms: ${String(answer.body).slice(0, 60)})` : `${answer.status}${answer.status === 200 ? '' : ` ${answer.body?.code}`}`)
  t.ok(closeMs < 5000, `close() returns within 5 s (${closeMs} ms)`)
  t.ok(answers.filter((answer) => answer.status === 200).length >= 1, `refreshes were in flight when close() began (${answers.filter((answer) => answer.status === 200).length} answered 200)`)
  // Refused while closing (503) or never connected is fine; a request the app took must be answered properly.
  t.notOk(outcomes.some((outcome) => outcome.startsWith('500') || outcome.startsWith('401')), `no 500 or 401 for an in-flight refresh (${JSON.stringify(outcomes)})`)
  t.notOk(answers.some((answer) => answer.status !== 200 && answer.rt !== undefined), 'no failed refresh touched the cookie')

  const second = await startApp(t, { url, database, options: { tokens } })
  const finals = await Promise.all(answers.map(async (answer, index) => {
    const again = await refresh(second.base, answer.status === 200 ? answer.rt! : held[index]!)
    return `${again.status}${again.status === 200 ? '' : ` ${again.body?.code}`}`
  }))
  t.same(finals, Array(held.length).fill('200'), 'after the restart, every client refreshes with the cookie it holds')
})
