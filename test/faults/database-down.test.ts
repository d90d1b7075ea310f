// docs/design.md#failure-behaviour: the session store goes away under a running app (killed, then hung), and is down at
// boot. Contract: login/refresh/logout answer 503 AUTH_STORE_UNAVAILABLE with Retry-After within the driver budget
// (here serverSelectionTimeoutMS = maxTimeMS = 1 s, so within 2 s), never clear the refresh cookie, never answer 204 to
// a logout that could not be written; Bearer routes keep answering (stateless verification); when the database is back
// on the same port and data folder, the SAME app (not restarted) logs in and refreshes again, and the cookie held
// through the outage still refreshes. Runs its own FerretDB (test/kit/mongo/restartable-database.mjs).
import t, { type Test } from 'tap'
import { MongoClient } from 'mongodb'
import { startRestartableDatabase } from '@authgate/test-kit/restartable-database'
import { call, login, logout, refresh, register, signIn, startApp, tryCall, waitUntil, type Answer } from './helpers/app.js'

const db = await startRestartableDatabase()
t.teardown(() => db.close())

const BUDGET_MS = 2000
const mongo = { serverSelectionTimeoutMS: 1000, maxTimeMS: 1000 }

/** The shape of every outage answer: 503, the code, a Retry-After, within the budget, the refresh cookie untouched. */
// How long a token may answer 503 after the database is back: a rotation claim cut off by the outage is taken over
// once stale (CLAIM_STALE_MS, 5 s), plus slack for a loaded machine.
const RECOVERY_MS = 8000

function assertOutage (t: Test, answer: Answer, what: string, extra: { todo?: string } = {}): void {
  t.equal(answer.status, 503, `${what}: 503 (got ${answer.status} ${JSON.stringify(answer.body)})`, extra)
  t.equal(answer.body?.code, 'AUTH_STORE_UNAVAILABLE', `${what}: AUTH_STORE_UNAVAILABLE`, extra)
  t.ok(Number(answer.headers.get('retry-after')) >= 1, `${what}: Retry-After (${answer.headers.get('retry-after')})`, extra)
  t.ok(answer.ms < BUDGET_MS, `${what}: answered in ${answer.ms} ms < ${BUDGET_MS} ms`, extra)
  t.equal(answer.rt, undefined, `${what}: the refresh cookie is neither cleared nor replaced`, extra)
  t.notOk(JSON.stringify(answer.body).match(/mongo|127\.0\.0\.1|ECONNREFUSED|topology/i), `${what}: no driver details in the body`, extra)
}

t.test('database stopped while serving: 503 fast, cookie kept, Bearer alive; back without restarting the app', async (t) => {
  const { base, app } = await startApp(t, { url: db.url, database: 'down_serving', mongo })
  const alice = await signIn(base, 'alice@example.com')
  const held = await refresh(base, alice.rt)
  t.equal(held.status, 200, 'a refresh before the outage works')
  const rtHeld = held.rt!
  const atHeld = held.body.accessToken as string
  const second = await login(base, 'alice@example.com')
  t.equal(second.status, 200)
  const rtToLogOut = second.rt!
  t.equal(await app.authgate.storeReady(), true, 'ready while the database is up')

  await db.stop()

  for (const round of [1, 2]) {
    // Round 2: the driver has already seen the server die; still fast, still 503.
    assertOutage(t, await tryCall(base, '/auth/login', { body: { email: 'alice@example.com', password: 'correct horse battery staple' } }), `round ${round} login`)
    assertOutage(t, await tryCall(base, '/auth/register', { body: { email: `new${round}@example.com`, password: 'correct horse battery staple' } }), `round ${round} register`)
    assertOutage(t, await tryCall(base, '/auth/refresh', { cookie: rtHeld }), `round ${round} refresh`)
    const out = await tryCall(base, '/auth/logout', { cookie: rtToLogOut })
    t.not(out.status, 204, `round ${round} logout: never 204 when the revoke was not written`)
    assertOutage(t, out, `round ${round} logout`)
    const all = await tryCall(base, '/auth/logout-all', { method: 'POST', bearer: atHeld })
    t.not(all.status, 204, `round ${round} logout-all: never 204 when the revoke was not written`)
    assertOutage(t, all, `round ${round} logout-all`)

    const bearerRoute = await tryCall(base, '/private', { bearer: atHeld })
    t.equal(bearerRoute.status, 200, `round ${round}: a Bearer-guarded route keeps answering 200 (stateless verification)`)
    t.equal(bearerRoute.body?.sub, alice.userId)
    const me = await tryCall(base, '/auth/me', { bearer: atHeld })
    t.equal(me.status, 200, `round ${round}: /auth/me answers from the token`)
    t.same(me.body?.user, { id: alice.userId, email: null, roles: ['user'] })

    const begin = Date.now()
    t.equal(await app.authgate.storeReady(), false, `round ${round}: readiness is false`)
    t.ok(Date.now() - begin < BUDGET_MS, 'readiness answers within the budget')
  }

  await db.start()
  const readyAfter = await waitUntil(() => app.authgate.storeReady(), 6000, 100)
  t.ok(readyAfter >= 0, `readiness is true again once the database is back (after ${readyAfter} ms)`)

  // The cookie held through the outage was not consumed by the 503s.
  const again = await call(base, '/auth/refresh', { cookie: rtHeld })
  t.equal(again.status, 200, `the cookie held through the outage still refreshes (${JSON.stringify(again.body)})`)
  t.ok(again.rt !== undefined && again.rt !== '' && again.rt !== rtHeld, 'and rotates')
  t.equal((await refresh(base, again.rt!)).status, 200, 'its successor refreshes too')

  // The logout that answered 503 did not end the session: it can be retried, and then it is over.
  const retried = await logout(base, rtToLogOut)
  t.equal(retried.status, 204, 'the retried logout succeeds')
  t.equal(retried.rt, '', 'and clears the cookie')
  const afterLogout = await refresh(base, rtToLogOut)
  t.equal(afterLogout.status, 401)
  t.equal(afterLogout.body.code, 'AUTH_REFRESH_INVALID')

  const fresh = await login(base, 'alice@example.com')
  t.equal(fresh.status, 200, 'login works again without restarting the app')
  t.equal((await register(base, 'after-outage@example.com')).status, 201, 'register works again')
})

t.test('database killed mid-traffic: refreshes in flight answer 200 or 503, and every client goes on afterwards', async (t) => {
  try {
    const reuses: unknown[] = []
    const { base, app } = await startApp(t, { url: db.url, database: 'down_midflight', mongo, options: { events: { refreshReuse: (event) => { reuses.push(event) } } } })
    await register(base, 'dave@example.com')
    const initial: string[] = []
    for (let index = 0; index < 8; index++) initial.push((await login(base, 'dave@example.com')).rt!)

    // Eight clients refresh in a loop, keeping the successor after a 200 and the same cookie after a 503, while the
    // database is killed and started again under them.
    let running = true
    const seen: number[] = []
    const wrong: string[] = []
    const clients = initial.map(async (first) => {
      let cookie = first
      while (running) {
        const answer = await tryCall(base, '/auth/refresh', { cookie, timeoutMs: 5000 })
        seen.push(answer.status)
        if (answer.status === 200) cookie = answer.rt!
        else {
          if (answer.status !== 503 || answer.rt !== undefined) wrong.push(`${answer.status} ${answer.body?.code} cookie:${answer.rt}`)
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
      return cookie
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await db.stop()
    await new Promise((resolve) => setTimeout(resolve, 500))
    await db.start()
    t.ok(await waitUntil(() => app.authgate.storeReady(), 6000, 100) >= 0, 'the database is back')
    await new Promise((resolve) => setTimeout(resolve, 300))
    running = false
    const held = await Promise.all(clients)
    t.ok(seen.includes(503), `the outage was seen by the clients (${seen.filter((status) => status === 503).length} × 503 of ${seen.length})`)
    t.same(wrong, [], 'every failure during the outage is a 503 that leaves the cookie alone (never 401, 500 or a hang)')

    const finals = await Promise.all(held.map(async (cookie) => {
      let last = await tryCall(base, '/auth/refresh', { cookie })
      const started = Date.now()
      // A claim cut off by the outage blocks its token for at most CLAIM_STALE_MS (5 s), then is taken over.
      while (last.status === 503 && Date.now() - started < RECOVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 500))
        last = await tryCall(base, '/auth/refresh', { cookie })
      }
      return `${last.status}${last.status === 200 ? '' : ` ${last.body?.code}`}`
    }))
    t.same(finals, Array(held.length).fill('200'), 'every client refreshes again with the cookie it holds (an unknown outcome falls in the grace path)')
    t.equal(reuses.length, 0, 'no refreshReuse')
  } catch (error) {
    t.fail(`threw: ${String(error)}`)
  }
})

t.test('database hung (SIGSTOP: sockets open, no answers): 503 within the budget, no hung requests', async (t) => {
  try {
    const { base, app } = await startApp(t, { url: db.url, database: 'down_hung', mongo })
    const bob = await signIn(base, 'bob@example.com')
    const second = await login(base, 'bob@example.com')
    t.equal(second.status, 200, 'a second login before the hang')

    db.freeze()
    t.teardown(() => db.thaw())
    const [loginAnswer, refreshAnswer, logoutAnswer] = await Promise.all([
      tryCall(base, '/auth/login', { body: { email: 'bob@example.com', password: 'correct horse battery staple' }, timeoutMs: 5000 }),
      tryCall(base, '/auth/refresh', { cookie: bob.rt, timeoutMs: 5000 }),
      tryCall(base, '/auth/logout', { cookie: second.rt!, timeoutMs: 5000 })
    ])
    assertOutage(t, loginAnswer, 'hung: login')
    assertOutage(t, refreshAnswer, 'hung: refresh')
    t.not(logoutAnswer.status, 204, 'hung: logout never answers 204')
    assertOutage(t, logoutAnswer, 'hung: logout')
    t.equal((await tryCall(base, '/private', { bearer: bob.at })).status, 200, 'hung: Bearer routes keep answering')
    const begin = Date.now()
    const ready = await Promise.race([app.authgate.storeReady(), new Promise((resolve) => setTimeout(() => resolve('timeout'), 5000))])
    t.equal(ready, false, 'hung: readiness is false')
    t.ok(Date.now() - begin < BUDGET_MS, `hung: readiness answers within the budget (${Date.now() - begin} ms)`)

    db.thaw()
    t.ok(await waitUntil(() => app.authgate.storeReady(), 6000, 100) >= 0, 'ready again after the database resumes')
    const again = await waitUntil(async () => (await tryCall(base, '/auth/login', { body: { email: 'bob@example.com', password: 'correct horse battery staple' } })).status === 200, 15_000, 200)
    t.ok(again >= 0, 'login works again after the database resumes')
    // The refresh that answered 503 during the hang must not have consumed or poisoned the cookie.
    // Its claim insert may land only after the thaw: 503 (retry) until that claim is stale, never a 401.
    let after = await call(base, '/auth/refresh', { cookie: bob.rt })
    const retryStarted = Date.now()
    while (after.status === 503 && Date.now() - retryStarted < RECOVERY_MS) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      after = await call(base, '/auth/refresh', { cookie: bob.rt })
    }
    t.equal(after.status, 200, `the cookie presented during the hang still refreshes (${JSON.stringify(after.body)})`)
  } catch (error) {
    t.fail(`threw: ${String(error)}`)
  }
})

t.test('database down at boot: the app starts, readiness false, then true and working once the database is up', async (t) => {
  try {
    await db.stop()
    const started = Date.now()
    const { base, app } = await startApp(t, { url: db.url, database: 'down_at_boot', mongo })
    const bootMs = Date.now() - started
    t.ok(bootMs < 5000, `the app starts and listens although the database is down (${bootMs} ms)`)
    t.equal(await app.authgate.storeReady(), false, 'readiness is false')

    assertOutage(t, await tryCall(base, '/auth/register', { body: { email: 'carol@example.com', password: 'correct horse battery staple' } }), 'boot-down register')
    assertOutage(t, await tryCall(base, '/auth/login', { body: { email: 'carol@example.com', password: 'correct horse battery staple' } }), 'boot-down login')
    assertOutage(t, await tryCall(base, '/auth/refresh', { cookie: 'A'.repeat(43) }), 'boot-down refresh')
    assertOutage(t, await tryCall(base, '/auth/logout', { cookie: 'A'.repeat(43) }), 'boot-down logout')
    const signed = app.authgate.tokens.sign({ sub: 'u-boot', sid: 's-boot', roles: ['user'] })
    t.equal((await tryCall(base, '/private', { bearer: signed.token })).status, 200, 'Bearer routes work while the store is down')
    t.equal((await tryCall(base, '/.well-known/jwks.json')).status, 200, 'the JWKS is served')

    await db.start()
    t.ok(await waitUntil(() => app.authgate.storeReady(), 6000, 100) >= 0, 'readiness turns true once the database is up')
    const carol = await signIn(base, 'carol@example.com')
    t.equal((await refresh(base, carol.rt)).status, 200, 'refresh works')
    const duplicate = await register(base, 'CAROL@example.com')
    t.equal(duplicate.status, 409, 'the unique email index exists (indexes were created after the boot failure)')
    t.equal(duplicate.body.code, 'AUTH_EMAIL_TAKEN', 'AUTH_EMAIL_TAKEN')

    const client = new MongoClient(db.url, { serverSelectionTimeoutMS: 3000 })
    t.teardown(() => client.close())
    const indexes = await client.db('down_at_boot').collection('sessions').indexes()
    t.ok(indexes.some((index) => index.name === 'tokenHash_unique' && index.unique === true), 'the sessions indexes exist too')
  } catch (error) {
    t.fail(`threw: ${String(error)}`)
  }
})
