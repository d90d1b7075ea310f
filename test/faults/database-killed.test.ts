// docs/design.md#failure-behaviour, "the database killed during rotations", as far as one FerretDB plays it: no
// acknowledged write is lost when the database process is killed outright (SIGKILL, no shutdown) and started again.
// After an acknowledged rotation RT2 is the current token and RT1 retired; after an acknowledged logout and logout-all
// the sessions stay revoked (refresh 401, access tokens refused once the revocation list has loaded); the app that
// served before the crash goes on without a restart. (Replica-set stepdown itself needs a real MongoDB replica set.)
import t from 'tap'
import { MongoClient } from 'mongodb'
import { startRestartableDatabase } from '@authgate/test-kit/restartable-database'
import { call, logout, refresh, sha256, signIn, startApp, waitUntil } from './helpers/app.js'

const db = await startRestartableDatabase()
t.teardown(() => db.close())

t.test('acknowledged rotations and revocations survive the database being killed (SIGKILL) and restarted', async (t) => {
  const { base, app } = await startApp(t, {
    url: db.url, database: 'killed', mongo: { serverSelectionTimeoutMS: 1000, maxTimeMS: 1000 },
    options: { tokens: { revocationDelay: '500ms' } }
  })
  const alice = await signIn(base, 'alice@example.com')
  const rotated = await refresh(base, alice.rt)
  t.equal(rotated.status, 200, 'rotation acknowledged')
  const rt2 = rotated.rt!
  const bob = await signIn(base, 'bob@example.com')
  t.equal((await logout(base, bob.rt)).status, 204, 'logout acknowledged')
  const carol = await signIn(base, 'carol@example.com')
  const carolPhone = await signIn(base, 'carol@example.com', false)
  t.equal((await call(base, '/auth/logout-all', { method: 'POST', bearer: carol.at })).status, 204, 'logout-all acknowledged')

  const pid = db.pid
  if (pid === undefined) throw new Error('the database is not running')
  process.kill(pid, 'SIGKILL')
  t.ok(await waitUntil(async () => !db.running, 5000, 20) >= 0, 'the database process is gone')
  await db.start()
  t.ok(await waitUntil(() => app.authgate.storeReady(), 10_000, 100) >= 0, 'the same app is ready again, without a restart')

  const check = new MongoClient(db.url, { serverSelectionTimeoutMS: 3000 })
  t.teardown(() => check.close())
  const sessions = check.db('killed').collection<{ _id: string, tokenHash: string, previousHashes: string[], revokedAt: Date | null }>('sessions')
  const aliceDoc = await sessions.findOne({ _id: alice.sid })
  t.equal(aliceDoc?.tokenHash, sha256(rt2), 'the acknowledged rotation is on disk: RT2 is current')
  t.same(aliceDoc?.previousHashes, [sha256(alice.rt)], 'and RT1 retired')
  for (const [who, sid] of [['bob', bob.sid], ['carol', carol.sid], ['carol (phone)', carolPhone.sid]] as const) {
    t.ok((await sessions.findOne({ _id: sid }))?.revokedAt instanceof Date, `${who}: the acknowledged revocation is on disk`)
  }

  const next = await refresh(base, rt2)
  t.equal(next.status, 200, `RT2 refreshes (${next.status} ${next.body?.code})`)
  for (const [who, rt] of [['bob', bob.rt], ['carol', carol.rt], ['carol (phone)', carolPhone.rt]] as const) {
    const answer = await refresh(base, rt)
    t.equal(answer.status, 401, `${who}: the revoked refresh token stays refused`)
    t.equal(answer.body?.code, 'AUTH_REFRESH_INVALID')
  }
  // A fresh instance loads the revocation list from the database that was killed.
  const other = await startApp(t, { url: db.url, database: 'killed', mongo: { serverSelectionTimeoutMS: 1000, maxTimeMS: 1000 } })
  for (const [who, at] of [['bob', bob.at], ['carol', carol.at], ['carol (phone)', carolPhone.at]] as const) {
    const answer = await call(other.base, '/private', { bearer: at })
    t.equal(answer.status, 401, `${who}: a new instance refuses the revoked session's access token`)
    t.equal(answer.body?.code, 'AUTH_SESSION_REVOKED')
  }
  t.equal((await call(other.base, '/private', { bearer: String(next.body.accessToken) })).status, 200, 'the live session is accepted')
})
