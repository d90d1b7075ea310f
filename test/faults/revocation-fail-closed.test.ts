// docs/design.md#failure-behaviour, "revocations cannot be read": Bearer routes keep working on stateless verification,
// unless the revocation check is enforced, in which case 503 fail-closed. With `revocationFailClosedAfter`, once the
// revocation list has not synced for that long, Bearer checks answer 503 AUTH_STORE_UNAVAILABLE with Retry-After (never
// 200 on a list that may miss a revocation, never 401, which would read as a logout); when the database is back, 200
// again.
import t from 'tap'
import { startRestartableDatabase } from '@authgate/test-kit/restartable-database'
import { call, signIn, startApp, waitUntil } from './helpers/app.js'

const db = await startRestartableDatabase()
t.teardown(() => db.close())

t.test('revocationFailClosedAfter: Bearer answers 503 once the list is stale, 200 again once it syncs', async (t) => {
  const { base, app } = await startApp(t, {
    url: db.url, database: 'fail_closed', mongo: { serverSelectionTimeoutMS: 500, maxTimeMS: 500 },
    options: { tokens: { revocationDelay: '200ms' }, revocationFailClosedAfter: '1s' }
  })
  const user = await signIn(base, 'erin@example.com')
  t.equal((await call(base, '/private', { bearer: user.at })).status, 200, 'accepted while the list syncs')

  await db.stop()
  const stopped = Date.now()
  let last = { status: 0, code: '', retryAfter: '' }
  const elapsed = await waitUntil(async () => {
    const answer = await call(base, '/private', { bearer: user.at })
    last = { status: answer.status, code: answer.body?.code, retryAfter: answer.headers.get('retry-after') ?? '' }
    return answer.status !== 200
  }, 6000, 100)
  t.ok(elapsed >= 0, `Bearer checks stop answering 200 once the list is stale (after ${Date.now() - stopped} ms)`)
  t.equal(last.status, 503, 'fail closed: 503, not 401')
  t.equal(last.code, 'AUTH_STORE_UNAVAILABLE')
  t.ok(Number(last.retryAfter) >= 1, 'with Retry-After')
  // The budget (1 s) runs from the last successful poll, which may have been up to one revocationDelay (200 ms)
  // before the stop, plus timer slack: 700 ms after the stop is the earliest correct answer.
  t.ok(Date.now() - stopped >= 700, 'not before the fail-closed budget')
  const me = await call(base, '/auth/me', { bearer: user.at })
  t.equal(me.status, 503, '/auth/me fails closed too')

  await db.start()
  const back = await waitUntil(async () => (await call(base, '/private', { bearer: user.at })).status === 200, 10_000, 100)
  t.ok(back >= 0, `200 again once the list syncs (after ${back} ms)`)
  t.equal(await app.authgate.storeReady(), true)
})
