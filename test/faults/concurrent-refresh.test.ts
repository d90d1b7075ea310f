// docs/security.md C.40–C.41, docs/design.md#failure-behaviour "concurrent refreshes": 50 sessions, each open in 4 tabs
// that present the same refresh cookie at the same moment (200 refreshes in flight over real HTTP). Every one answers
// 200, the 4 tabs of a session get the SAME successor (the family never forks), no `refreshReuse` event fires, nothing
// is revoked, each family has exactly one current token, and the successor every tab now holds refreshes again (a
// second storm).
import t from 'tap'
import type { RefreshReuseEvent } from '@authgate/fastify'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, claimsOf, mapLimit, register, sha256, signIn, startApp, tryCall, type Answer } from './helpers/app.js'

const SESSIONS = 50
const TABS = 4

const { url, name: database, db } = await useTestDatabase(t, 'storm')

const ferret = (process.env.AUTHGATE_TEST_DB_KIND ?? '').startsWith('FerretDB')

// A plain literal: docs/security.md lists fault tests by name (test/security/table.test.ts).
t.test('200 concurrent refreshes across 50 sessions (4 tabs each): all succeed, no reuse, no fork', async (t) => {
  const reuses: RefreshReuseEvent[] = []
  const logs: string[] = []
  const { base } = await startApp(t, {
    url, database,
    // The longest grace that draws no warning: a swap that lands after its caller's deadline (the caller answered
    // 503) is recovered by presenting the old token again within the grace, and this test presents it only after
    // the whole storm, which took 11–15 s on FerretDB at load 14 (past the default 10 s: a 401 at the end).
    options: { events: { refreshReuse: (event) => { reuses.push(event) } }, tokens: { reuseGrace: '30s' } },
    // Warnings (503 causes) are kept to explain a failure.
    logger: { level: 'warn', stream: { write: (line: string) => { logs.push(line) } } }
  })
  t.equal((await register(base, 'storm@example.com')).status, 201)
  // One user, 50 logins: 50 sessions, 50 families (a login always starts a new family).
  const sessions = await mapLimit(Array.from({ length: SESSIONS }, (_, index) => index), 4, async () => signIn(base, 'storm@example.com', false))
  t.equal(new Set(sessions.map((session) => session.sid)).size, SESSIONS, `${SESSIONS} distinct sessions`)

  let holding = sessions.map((session) => session.rt)
  for (const round of [1, 2]) {
    const presented = holding
    const answers: Answer[] = await Promise.all(presented.flatMap((rt) => Array.from({ length: TABS }, async () => tryCall(base, '/auth/refresh', { cookie: rt, timeoutMs: 25_000 }))))
    const statuses = answers.map((answer) => answer.status)
    const failed: Record<string, number> = {}
    for (const answer of answers) {
      if (answer.status === 200) continue
      const kind = answer.status === 0 ? 'no answer within 25 s' : `${answer.status} ${answer.body?.code}`
      failed[kind] = (failed[kind] ?? 0) + 1
    }
    const slowest = Math.max(...answers.map((answer) => answer.ms))
    // What must hold whatever the server's speed: a refresh that cannot finish inside the store's budget answers the
    // retryable 503 and leaves the cookie valid (checked at the end), never 401 (a false reuse), 500 or a hang.
    t.same(Object.keys(failed).filter((kind) => kind !== '503 AUTH_STORE_UNAVAILABLE'), [],
      `round ${round}: every refresh answers 200 or the retryable 503 (failures: ${JSON.stringify(failed)}; slowest ${slowest} ms)`)
    // Throughput, not correctness: FerretDB v1 (SQLite) on 2 loaded cores finishes about 150 of 200 inside the 3 s
    // budget (measured 45–69 × 503 per round). A TODO there; strict on every other server (mongo-java-server in CI).
    t.same(statuses, Array(SESSIONS * TABS).fill(200), `round ${round}: all ${SESSIONS * TABS} refreshes answer 200`, {
      todo: ferret ? 'FerretDB v1 cannot finish 50 rotations and 150 waiters inside the 3 s store budget here' : false
    })

    if (Object.keys(failed).length > 0) t.comment(`round ${round} causes: ${logs.slice(-3).join(' | ').slice(0, 1500)}`)
    const next: string[] = []
    let forked = 0
    for (let index = 0; index < SESSIONS; index++) {
      const tabs = answers.slice(index * TABS, (index + 1) * TABS)
      const ok = tabs.filter((answer) => answer.status === 200)
      const successors = new Set(ok.map((answer) => answer.rt))
      if (successors.size > 1) forked++
      for (const answer of ok) {
        if (claimsOf(String(answer.body.accessToken)).sid !== sessions[index]?.sid) forked++
      }
      // A tab whose refresh failed keeps the cookie it had.
      next.push(ok[0]?.rt ?? presented[index] ?? '')
    }
    t.equal(forked, 0, `round ${round}: the tabs of each session that got an answer got the same successor, for the same session`)
    t.equal(new Set(next).size, SESSIONS, `round ${round}: ${SESSIONS} distinct successors`)
    t.notOk(next.some((rt) => rt === ''), `round ${round}: no tab was left with an empty cookie`)

    const docs = await db.collection<{ _id: string, tokenHash: string, previousHashes: string[], revokedAt: Date | null }>('sessions').find({}).toArray()
    t.equal(docs.length, SESSIONS, 'one session document per login, none added by refreshes')
    let exactlyOneCurrent = 0
    let answered = 0
    for (let index = 0; index < SESSIONS; index++) {
      // Families none of whose tabs got a 200 are counted as failures above; their cookie is checked at the end.
      if (!answers.slice(index * TABS, (index + 1) * TABS).some((answer) => answer.status === 200)) continue
      answered++
      const doc = docs.find((candidate) => candidate._id === sessions[index]?.sid)
      const history = doc?.previousHashes
      if (doc !== undefined && doc.revokedAt === null && doc.tokenHash === sha256(next[index] ?? '') && history !== undefined &&
        history.includes(sha256(presented[index] ?? '')) && new Set(history).size === history.length) exactlyOneCurrent++
    }
    t.equal(exactlyOneCurrent, answered, `round ${round}: in every family with an answer the one current token is the successor the tabs hold, the presented one is retired once, none revoked`)

    // The access tokens handed out work.
    const sample = answers.filter((answer, index) => answer.status === 200 && index % TABS === round % TABS)
    const guarded = await Promise.all(sample.map(async (answer) => call(base, '/private', { bearer: String(answer.body?.accessToken) })))
    t.same(guarded.map((answer) => answer.status), Array(sample.length).fill(200), `round ${round}: the new access tokens are accepted`)
    holding = next
  }

  t.equal(reuses.length, 0, `zero refreshReuse events (got ${JSON.stringify(reuses.slice(0, 3).map((event) => event.classification))})`)
  t.equal(await db.collection('sessions').countDocuments({ revokedAt: { $ne: null } }), 0, 'no session revoked')
  // The successor each tab holds after the second storm still refreshes (one tab each now).
  // A 503 (FerretDB's SQLite backend interrupts a busy findAndModify now and then) is the documented retryable
  // answer: it loses nothing, so its one retry, alone, must succeed. Any 401 would be a lost session.
  const last = await Promise.all(holding.map(async (rt) => {
    const first = await call(base, '/auth/refresh', { cookie: rt })
    const answer = first.status === 503 ? await call(base, '/auth/refresh', { cookie: rt }) : first
    return answer.status === 200 ? '200' : `${answer.status} ${answer.body?.code}`
  }))
  // Never a lost session, on any server: only 200 or the retryable 503.
  t.same(last.filter((answer) => answer !== '200' && !answer.startsWith('503 ')), [], 'no successor a tab holds is refused (no 401: no lost session)')
  t.same(last, Array(SESSIONS).fill('200'), 'every successor a tab ends up holding still refreshes (after one retry of a 503)', {
    todo: ferret ? 'FerretDB v1 on loaded cores can answer the retry with a 503 too (seen at load 21)' : false
  })
  t.equal(reuses.length, 0, 'and no refreshReuse event since')
})
