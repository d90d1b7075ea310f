// Seeds the database of `gateway-auth-revocation` with session revocations, straight into the collection the
// store's listRevokedSince reads, so the gateway's revocation list holds that many entries while it is measured.
// Its own database, apart from the refresh and login scenarios'. Plain JavaScript (only the driver).
// Input: BENCH_SEED (JSON).
import { MongoClient } from 'mongodb'
import { revokedSessionId } from './revoked-ids.mjs'

/** @type {{ url: string, database: string, count: number }} */
const input = JSON.parse(process.env.BENCH_SEED ?? '{}')
const count = await seedRevokedSessions(input.url, input.database, input.count)
console.log(JSON.stringify({ ready: true, revoked: count }))
process.exit(0)

/** Inserts `count` revocations in batches; returns how many the collection holds. */
async function seedRevokedSessions (url, database, count) {
  if (!count) return 0
  const client = new MongoClient(url)
  try {
    // A fresh database each run (an external MONGODB_URL keeps data between runs): ids below are deterministic.
    await client.db(database).dropDatabase()
    // The store's revocation tombstones (MongoSessionStore: collection `revocations`, `{ _id: sessionId, revokedAt,
    // expiresAt }`), which its listRevokedSince reads. This is the store's internal layout: if it changes, the
    // scenario's probe (tokens of seeded sessions must be refused) fails loudly instead of measuring an empty list.
    const tombstones = client.db(database).collection('revocations')
    // Spread over the last 50 minutes (tokens live an hour): a steady stream of revocations, so each poll of the
    // list fetches only the latest few. All at one instant would make every poll fetch all of them again.
    const now = Date.now()
    const spreadMs = 50 * 60_000
    const expiresAt = new Date(now + 400 * 86_400_000)
    const batch = 10_000
    for (let start = 0; start < count; start += batch) {
      const docs = []
      for (let i = start; i < Math.min(count, start + batch); i++) {
        // Index 0 is the newest revocation, count - 1 the oldest: setup mints a token for each.
        docs.push({ _id: revokedSessionId(i), revokedAt: new Date(now - Math.floor((i / count) * spreadMs)), expiresAt })
      }
      await tombstones.insertMany(docs, { ordered: false })
    }
    return await tombstones.countDocuments({})
  } finally {
    await client.close()
  }
}
