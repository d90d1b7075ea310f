// Proves the test database is a real MongoDB-wire server, not a stand-in: it answers ping, enforces a unique index,
// and runs findOneAndUpdate atomically (exactly one of 50 concurrent conditional updates wins).
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

t.test('findOneAndUpdate is atomic under 50 concurrent callers', async (t) => {
  const { db } = await useTestDatabase(t, 'smoke')
  const tokens = db.collection<{ _id: string, hash: string, winner?: number }>('tokens')
  await tokens.insertOne({ _id: 's1', hash: 'old' })
  const attempts = Array.from({ length: 50 }, (_, i) =>
    tokens.findOneAndUpdate({ _id: 's1', hash: 'old' }, { $set: { hash: `new-${i}`, winner: i } }, { returnDocument: 'after' }))
  const results = await Promise.all(attempts)
  const winners = results.filter((doc) => doc !== null)
  t.equal(winners.length, 1, 'exactly one conditional update matched')
  const final = await tokens.findOne({ _id: 's1' })
  t.equal(final?.hash, `new-${winners[0]?.winner}`, 'the stored document is the winner\'s write')
})
