// Proves the test database is a real MongoDB-wire server, not a stand-in: it answers ping, enforces a unique index,
// and resolves 50 concurrent claims on one key to exactly one winner.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { builtMongoJavaServer } from './mongo-java-server.mjs'
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
// rotation with a unique-index insert first, see packages/auth/src/stores/mongo/rotation.ts), and on FerretDB this
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

// Review of issue #17: a runner that dies (a crash, SIGKILL) must not leave a mongo-java-server JVM behind. The
// launcher exits when its stdin (a pipe from the runner) closes; checked here with a runner killed by SIGKILL.
t.test('a mongo-java-server whose runner is killed exits on its own', {
  skip: builtMongoJavaServer() === null ? 'mongo-java-server is not built here (AUTHGATE_TEST_DB=mongo-java-server builds it)' : false
}, async (t) => {
  const module = new URL('./mongo-java-server.mjs', import.meta.url).href
  const runner = spawn(process.execPath, ['--input-type=module', '-e', `
    const m = await import(${JSON.stringify(module)})
    const { pid } = await m.spawnMongoJavaServer(m.builtMongoJavaServer(), { stderr: 'ignore' })
    console.log(pid)
    setInterval(() => {}, 1000)
  `], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [line] = await once(createInterface({ input: runner.stdout }), 'line') as [string]
  const jvm = Number(line)
  t.ok(alive(jvm), 'the JVM runs')
  runner.kill('SIGKILL')
  for (let i = 0; i < 100 && alive(jvm); i++) await sleep(100)
  t.notOk(alive(jvm), 'the JVM is gone within 10 s of its runner')
  if (alive(jvm)) process.kill(jvm, 'SIGKILL')
})

/** Whether `pid` runs (a zombie waiting for a reaper that never comes, in a container without init, does not). */
function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}
