// Gives one test file its own fresh database on the server that test/run.mjs started (MONGODB_URL), and drops it
// when the file's tests end, so test files can run in parallel without seeing each other's data.
import { randomBytes } from 'node:crypto'
import { MongoClient } from 'mongodb'

export function testDatabaseUrl () {
  const url = process.env.MONGODB_URL
  if (!url) throw new Error('MONGODB_URL is not set: run tests through `pnpm test` (test/run.mjs), which starts the test database')
  return url
}

/** A database name no other test file uses. */
export function freshDatabaseName (label = 't') {
  return `${label.replace(/[^a-z0-9]/gi, '_').slice(0, 24)}_${randomBytes(6).toString('hex')}`
}

/**
 * Connects to a fresh database for test `t` (a tap Test) and drops it on teardown.
 * Short server-selection timeouts so a dead server fails a test in seconds, not 30 s.
 */
export async function useTestDatabase (t, label) {
  const url = testDatabaseUrl()
  const name = freshDatabaseName(label)
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 })
  await client.connect()
  const db = client.db(name)
  t.teardown(async () => {
    await db.dropDatabase().catch(() => {})
    await client.close()
  })
  return { url, name, client, db, kind: process.env.AUTHGATE_TEST_DB_KIND ?? 'unknown' }
}
