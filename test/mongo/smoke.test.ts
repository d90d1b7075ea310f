// Proves the test database is a real MongoDB-wire server, not a stand-in: it answers ping, enforces a unique index,
// and resolves 50 concurrent claims on one key to exactly one winner.
import t from 'tap'
import { useTestDatabase } from './per-test.mjs'

t.test('the test database answers ping', async (t) => {
  const { db, kind } = await useTestDatabase(t, 'smoke')
  t.comment(`server: ${kind}`)
  const res = await db.command({ ping: 1 })
  t.equal(res.ok, 1)
})

t.test('a unique index rejects a duplicate insert', async (t) => {
  const { db } = await useTestDatabase(t, 'smoke')
  const users = db.collection<{ email: string }>('users')
  await users.createIndex({ email: 1 }, { unique: true }, undefined)
  await users.insertOne({ email: 'a@example.test' })
  await t.rejects(users.insertOne({ email: 'a@example.test' }), { code: 11000 })
  t.equal(await users.countDocuments({}), 1)
})

// What rotation relies on: a unique-index insert is a compare-and-swap on every MongoDB-wire server we test with.
t.test('a unique-index insert claim is atomic under 50 concurrent callers (exactly one wins)', async (t) => {
  const { db } = await useTestDatabase(t, 'smoke')
  const claims = db.collection<{ _id: string }>('claims')
  for (let round = 0; round < 10; round++) {
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => claims.insertOne({ _id: `claim-${round}` })))
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}: one insert won`)
  }
})

// MongoDB serialises findOneAndUpdate per document. FerretDB v1.24.2 (SQLite) does not: measured here, up to 26 of 50
// concurrent conditional updates of one document "won". So the session store never relies on it alone (it claims a
// rotation with a unique-index insert first, see packages/auth/src/stores/mongo-rotation.ts), and on FerretDB this
// check runs as a TODO: reported, not failing, and visible if a future FerretDB fixes it. Strict on every other
// server (mongo-java-server in CI's second run).
const ferret = (process.env.AUTHGATE_TEST_DB_KIND ?? '').startsWith('FerretDB')
t.test('findOneAndUpdate is atomic under 50 concurrent callers', {
  todo: ferret ? 'FerretDB v1 does not serialise findOneAndUpdate; the stores do not depend on it' : false
}, async (t) => {
  const { db } = await useTestDatabase(t, 'smoke')
  const tokens = db.collection<{ _id: string, hash: string, winner?: number }>('tokens')
  for (let round = 0; round < 10; round++) {
    await tokens.insertOne({ _id: `s${round}`, hash: 'old' })
    const attempts = Array.from({ length: 50 }, (_, i) =>
      tokens.findOneAndUpdate({ _id: `s${round}`, hash: 'old' }, { $set: { hash: `new-${i}`, winner: i } }, { returnDocument: 'after' }))
    const winners = (await Promise.all(attempts)).filter((doc) => doc !== null)
    t.equal(winners.length, 1, `round ${round}: exactly one conditional update matched`)
    const final = await tokens.findOne({ _id: `s${round}` })
    t.equal(final?.hash, `new-${winners[0]?.winner}`, `round ${round}: the stored document is the winner's write`)
  }
})
