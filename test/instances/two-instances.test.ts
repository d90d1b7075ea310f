// docs/design.md#failure-behaviour "several instances", docs/security.md C.39–C.41, C.46: two separate plugin apps
// (each listening on its own port) on ONE database with the same keys, driven alternately. Rotation, revocation and
// reuse detection hold across them: their only shared state is the store (and the revocation list each polls from it
// every `revocationDelay`).
import t from 'tap'
import type { RefreshReuseEvent } from '@authgate/fastify'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, claimsOf, logout, refresh, sha256, signIn, sleep, startApp, waitUntil, type AppOptions, type RunningApp, type Teardown } from '../faults/helpers/app.js'

const { url, name: database, db } = await useTestDatabase(t, 'instances')

const REVOCATION_DELAY_MS = 1000
// The poll itself takes a moment: a revocation must show within the delay plus this slack.
const POLL_SLACK_MS = 1000

interface Pair { a: RunningApp, b: RunningApp, reuses: { a: RefreshReuseEvent[], b: RefreshReuseEvent[] } }

async function twoInstances (t: Teardown, tokens: NonNullable<AppOptions['options']>['tokens'] = {}): Promise<Pair> {
  const reuses = { a: [] as RefreshReuseEvent[], b: [] as RefreshReuseEvent[] }
  const build = (list: RefreshReuseEvent[]): Promise<RunningApp> => startApp(t, {
    url, database, options: { tokens: { revocationDelay: `${REVOCATION_DELAY_MS}ms`, ...tokens }, events: { refreshReuse: (event) => { list.push(event) } } }
  })
  return { a: await build(reuses.a), b: await build(reuses.b), reuses }
}

let users = 0
const nextEmail = (): string => `two-${++users}@example.com`

t.test('login on A, refresh on B, refresh again on A: one family, each token works on both', async (t) => {
  const { a, b, reuses } = await twoInstances(t)
  const first = await signIn(a.base, nextEmail())
  const onB = await refresh(b.base, first.rt)
  t.equal(onB.status, 200, 'B rotates the token A issued')
  const rt2 = onB.rt!
  t.ok(rt2.length === 43 && rt2 !== first.rt, 'a new refresh token')
  const onA = await refresh(a.base, rt2)
  t.equal(onA.status, 200, 'A rotates the token B issued')
  const rt3 = onA.rt!
  t.ok(rt3 !== rt2 && rt3 !== first.rt)
  t.equal(claimsOf(onB.body.accessToken).sid, first.sid, 'same session through both instances')
  t.equal(claimsOf(onA.body.accessToken).sid, first.sid)
  for (const [name, app] of [['A', a], ['B', b]] as const) {
    for (const token of [first.at, onB.body.accessToken, onA.body.accessToken]) {
      t.equal((await call(app.base, '/private', { bearer: token })).status, 200, `${name} accepts an access token of either instance`)
    }
  }
  const doc = await db.collection('sessions').findOne({ _id: first.sid as never })
  t.equal(doc?.tokenHash, sha256(rt3), 'the store holds RT3 as the one current token')
  t.same(doc?.previousHashes, [sha256(first.rt), sha256(rt2)], 'RT1 and RT2 retired, in order')
  t.same([reuses.a.length, reuses.b.length], [0, 0], 'no reuse reported')
})

t.test('logout-all on A: B refuses the old access token (401 AUTH_SESSION_REVOKED) within revocationDelay', async (t) => {
  const { a, b } = await twoInstances(t)
  const user = await signIn(a.base, nextEmail())
  const other = await signIn(b.base, `x-${user.userId}@example.com`)
  t.equal((await call(b.base, '/private', { bearer: user.at })).status, 200, 'B accepts the token before the revocation')
  const revokedAt = Date.now()
  const out = await call(a.base, '/auth/logout-all', { method: 'POST', bearer: user.at })
  t.equal(out.status, 204)
  const onA = await call(a.base, '/private', { bearer: user.at })
  t.equal(onA.status, 401, 'A refuses it at once')
  t.equal(onA.body.code, 'AUTH_SESSION_REVOKED')

  let last = { status: 0, code: '' }
  const elapsed = await waitUntil(async () => {
    const answer = await call(b.base, '/private', { bearer: user.at })
    last = { status: answer.status, code: answer.body?.code }
    return answer.status === 401
  }, REVOCATION_DELAY_MS + POLL_SLACK_MS + 2000, 50)
  const since = Date.now() - revokedAt
  t.ok(elapsed >= 0, `B refuses the token eventually (last: ${JSON.stringify(last)})`)
  t.ok(since <= REVOCATION_DELAY_MS + POLL_SLACK_MS, `within revocationDelay (${since} ms ≤ ${REVOCATION_DELAY_MS} + ${POLL_SLACK_MS} ms)`)
  t.same(last, { status: 401, code: 'AUTH_SESSION_REVOKED' }, '401 AUTH_SESSION_REVOKED')
  const replay = await refresh(b.base, user.rt)
  t.equal(replay.status, 401, 'the refresh cookie is dead on B too')
  t.equal(replay.body.code, 'AUTH_REFRESH_INVALID')
  t.equal((await call(b.base, '/private', { bearer: other.at })).status, 200, 'another user is not touched')
})

t.test('reuse detected on B (token retired longer than reuseGrace ago) revokes the family for A too', async (t) => {
  const { a, b, reuses } = await twoInstances(t, { reuseGrace: '300ms' })
  const user = await signIn(a.base, nextEmail())
  const rotated = await refresh(a.base, user.rt)
  t.equal(rotated.status, 200)
  const rt2 = rotated.rt!
  const at2 = String(rotated.body.accessToken)
  t.equal((await call(b.base, '/private', { bearer: at2 })).status, 200)
  await sleep(700)

  const replay = await refresh(b.base, user.rt)
  t.equal(replay.status, 401, 'the retired token presented on B is refused')
  t.equal(replay.body.code, 'AUTH_REFRESH_REUSED')
  t.equal(replay.rt, '', 'and its cookie cleared')
  t.equal(reuses.b.length, 1, 'B reports the reuse')
  // Same client, shortly after the rotation: classified a race (still reuse, still revoked).
  t.match(reuses.b[0], { sessionId: user.sid, familyId: user.sid, userId: user.userId, revoked: true, classification: 'race', ipChanged: false, userAgentChanged: false })
  t.ok((reuses.b[0]?.sinceRotationMs ?? 0) >= 300, `sinceRotationMs ≥ reuseGrace (${reuses.b[0]?.sinceRotationMs})`)
  t.equal(reuses.a.length, 0, 'A reports nothing (it saw nothing)')

  const current = await refresh(a.base, rt2)
  t.equal(current.status, 401, 'the current token of the family is dead on A')
  t.equal(current.body.code, 'AUTH_REFRESH_INVALID')
  const revoked = Date.now()
  let last = { status: 0, code: '' }
  const elapsed = await waitUntil(async () => {
    const answer = await call(a.base, '/private', { bearer: at2 })
    last = { status: answer.status, code: answer.body?.code }
    return answer.status === 401
  }, REVOCATION_DELAY_MS + POLL_SLACK_MS + 2000, 50)
  t.ok(elapsed >= 0 && Date.now() - revoked <= REVOCATION_DELAY_MS + POLL_SLACK_MS, `A refuses the family's access token within revocationDelay (${Date.now() - revoked} ms)`)
  t.same(last, { status: 401, code: 'AUTH_SESSION_REVOKED' })
  const doc = await db.collection('sessions').findOne({ _id: user.sid as never })
  t.ok(doc?.revokedAt instanceof Date, 'the session is revoked in the store')
})

t.test('a tab still holding the just-retired cookie logs out on A after a refresh on B: the session ends', async (t) => {
  const { a, b } = await twoInstances(t)
  const user = await signIn(a.base, nextEmail())
  const rotated = await refresh(b.base, user.rt)
  t.equal(rotated.status, 200)
  const out = await logout(a.base, user.rt)
  t.equal(out.status, 204, 'logout with the retired (grace) cookie')
  t.equal(out.rt, '', 'clears it')
  const successor = await refresh(b.base, rotated.rt!)
  t.equal(successor.status, 401, 'the successor held by the other tab is dead')
  t.equal(successor.body.code, 'AUTH_REFRESH_INVALID')
  const graced = await refresh(a.base, user.rt)
  t.equal(graced.status, 401, 'the retired cookie no longer gets the successor')
  const elapsed = await waitUntil(async () => (await call(b.base, '/private', { bearer: String(rotated.body.accessToken) })).status === 401, REVOCATION_DELAY_MS + POLL_SLACK_MS, 50)
  t.ok(elapsed >= 0, `B refuses the session's access token within revocationDelay (${elapsed} ms)`)
})

t.test('50 concurrent refreshes of one cookie split across A and B: all succeed, exactly one current token', async (t) => {
  const { a, b, reuses } = await twoInstances(t)
  const user = await signIn(a.base, nextEmail())
  const answers = await Promise.all(Array.from({ length: 50 }, async (_, index) => call((index % 2 === 0 ? a : b).base, '/auth/refresh', { cookie: user.rt, timeoutMs: 20_000 })))
  const failures = answers.filter((answer) => answer.status !== 200).map((answer) => `${answer.status} ${answer.body?.code}`)
  t.same(answers.map((answer) => answer.status), Array(50).fill(200), `all 50 answer 200 (failures: ${JSON.stringify(failures.slice(0, 5))}, ${failures.length} in all)`)
  const successors = new Set(answers.map((answer) => answer.rt))
  t.equal(successors.size, 1, 'exactly one successor handed out')
  const successor = [...successors][0] ?? ''
  const docs = await db.collection('sessions').find({ userId: user.userId }).toArray()
  t.equal(docs.length, 1, 'one session')
  t.equal(docs[0]?.tokenHash, sha256(successor), 'its one current token is the successor')
  t.same(docs[0]?.previousHashes, [sha256(user.rt)], 'rotated exactly once')
  t.equal(docs[0]?.revokedAt, null)
  t.same([reuses.a.length, reuses.b.length], [0, 0], 'no reuse reported')
  t.equal((await refresh(b.base, successor)).status, 200, 'the successor refreshes')
})

t.test('logout-all on A racing a refresh on B: the logout wins, whatever the interleaving', async (t) => {
  const { a, b } = await twoInstances(t)
  const email = nextEmail()
  await signIn(a.base, email)
  const leaks: string[] = []
  for (let round = 0; round < 8; round++) {
    const session = await signIn(a.base, email, false)
    const [out, rotated] = await Promise.all([
      call(a.base, '/auth/logout-all', { method: 'POST', bearer: session.at }),
      call(b.base, '/auth/refresh', { cookie: session.rt })
    ])
    if (out.status !== 204) {
      leaks.push(`round ${round}: logout-all answered ${out.status}`)
      continue
    }
    // Whichever cookie the client now holds, and whichever instance it asks: the session is over.
    const held = rotated.status === 200 ? rotated.rt! : session.rt
    for (const app of [a, b]) {
      const again = await refresh(app.base, held)
      if (again.status !== 401) leaks.push(`round ${round}: refresh after logout-all answered ${again.status} (refresh raced: ${rotated.status})`)
    }
    const doc = await db.collection('sessions').findOne({ _id: session.sid as never })
    if (!(doc?.revokedAt instanceof Date)) leaks.push(`round ${round}: the session is not revoked in the store`)
  }
  t.same(leaks, [], 'an acknowledged logout-all is never undone by a concurrent rotation')
  // Clean-up check that the logout path itself is fine for the cookie endpoint too.
  const last = await signIn(b.base, email, false)
  t.equal((await logout(a.base, last.rt)).status, 204)
})
