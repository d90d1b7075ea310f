// Issue #14 item 1: tokens of trusted external issuers carry no authgate session, so logout-all revokes them by
// subject: every token of (issuer, sub) issued until then. Two plugin apps share a store (the test database, polled;
// a replica set's change stream; one MemorySessionStore object) and trust two real external issuers on loopback
// (lib/external-issuer.ts). A logout-all on A with an external token refuses that user's tokens on A at once and on
// B within revocationDelay; the same sub at the other issuer, an authgate user whose id is that very sub, and tokens
// issued after the revocation are untouched.
import t, { type Test } from 'tap'
import { AuthError, MemorySessionStore, type AuthgateOptions, type LogoutEvent } from '@authgate/fastify'
import { useTestDatabase } from '@authgate/test-kit/database'
import { useReplicaSet } from '@authgate/test-kit/replica-set'
import { AUDIENCE, call, refresh, signIn, sleep, startApp, type RunningApp, type Teardown } from '../faults/helpers/app.js'
import { settled, startExternalIssuer, type ExternalIssuer } from '../security/lib/external-issuer.js'

const { url, name: database } = await useTestDatabase(t, 'subjects')

const REVOCATION_DELAY_MS = 1000
// The poll itself takes a moment (as in two-instances.test.ts).
const POLL_SLACK_MS = 1000

interface Setup { a: RunningApp, b: RunningApp, idp: ExternalIssuer, other: ExternalIssuer, logouts: LogoutEvent[] }

async function start (t: Teardown, store: { url: string, database: string } | { memory: MemorySessionStore }, revocationDelayMs = REVOCATION_DELAY_MS): Promise<Setup> {
  const idp = await startExternalIssuer(t, { path: '/realms/main', audience: AUDIENCE })
  idp.addKey('RS256')
  const other = await startExternalIssuer(t, { path: '/realms/other', audience: AUDIENCE })
  other.addKey('RS256')
  const trustedIssuers = [idp, other].map((issuer) => ({ issuer: issuer.issuer, jwksUrl: issuer.jwksUrl, audience: AUDIENCE, algorithms: ['RS256' as const] }))
  const logouts: LogoutEvent[] = []
  const options = (): Partial<AuthgateOptions> => ({
    ...('memory' in store ? { store: store.memory } : {}),
    tokens: { revocationDelay: `${revocationDelayMs}ms`, trustedIssuers },
    events: { logout: (event) => { logouts.push(event) } }
  })
  const where = 'memory' in store ? { url: 'unused', database: 'unused' } : store
  const a = await startApp(t, { ...where, options: options() })
  const b = await startApp(t, { ...where, options: options() })
  return { a, b, idp, other, logouts }
}

async function status (app: RunningApp, token: string): Promise<number> {
  return (await settled(() => call(app.base, '/private', { bearer: token }))).status
}

/** Polls until `app` refuses `token` (401), at most `limitMs`; returns how long that took, or -1. */
async function refusedWithin (app: RunningApp, token: string, limitMs: number): Promise<number> {
  const started = Date.now()
  for (let attempt = 0; attempt < 200 && Date.now() - started < limitMs; attempt++) {
    if ((await call(app.base, '/private', { bearer: token })).status === 401) return Date.now() - started
    await sleep(50)
  }
  return -1
}

async function scenario (t: Test, setup: Setup, deliveryLimitMs: number, label: string): Promise<void> {
  const { a, b, idp, other, logouts } = setup
  // An authgate user, and an external user of `idp` whose sub is that user's id, plus the same sub at `other`.
  const own = await signIn(a.base, `${label}-${Date.now()}@example.com`)
  const external = await idp.sign({ sub: own.userId })
  const sameSubElsewhere = await other.sign({ sub: own.userId })
  const bystander = await idp.sign({ sub: `${label}-bystander` })
  for (const app of [a, b]) {
    for (const token of [external, sameSubElsewhere, bystander, own.at]) t.equal(await status(app, token), 200, 'accepted before the revocation')
  }

  const out = await call(a.base, '/auth/logout-all', { method: 'POST', bearer: external })
  t.equal(out.status, 204, 'logout-all with an external token')
  t.same(logouts.at(-1), { ...logouts.at(-1), userId: own.userId, issuer: idp.issuer, sessionIds: [], reason: 'logout-all' }, 'the event names the issuer, no sessions')
  const onA = await call(a.base, '/private', { bearer: external })
  t.equal(onA.status, 401, 'refused at once on the instance that revoked it')
  t.equal(onA.body.code, 'AUTH_SESSION_REVOKED')
  const tookB = await refusedWithin(b, external, deliveryLimitMs)
  t.ok(tookB >= 0, `refused on the other instance within ${deliveryLimitMs} ms (took ${tookB} ms)`)
  t.equal((await call(b.base, '/private', { bearer: external })).body.code, 'AUTH_SESSION_REVOKED')

  for (const app of [a, b]) {
    t.equal(await status(app, sameSubElsewhere), 200, 'the same sub at another issuer is another user: untouched')
    t.equal(await status(app, bystander), 200, 'another user of the same issuer: untouched')
    t.equal(await status(app, own.at), 200, 'the authgate user whose id equals the external sub: untouched')
  }
  t.equal((await refresh(a.base, own.rt)).status, 200, 'and that user\'s refresh session lives on')

  // iat has one-second precision: the IdP's next token, issued in a later second, is the user signing in again.
  await sleep(1100)
  const after = await idp.sign({ sub: own.userId })
  for (const app of [a, b]) t.equal(await status(app, after), 200, 'a token issued after the revocation is accepted')

  // logout-all with our own token revokes our sessions as before; a session signed in after it works everywhere.
  t.equal((await call(b.base, '/auth/logout-all', { method: 'POST', bearer: own.at })).status, 204)
  const again = await signIn(b.base, `${label}-again-${Date.now()}@example.com`)
  for (const app of [a, b]) t.equal(await status(app, again.at), 200, 'own tokens issued after a logout-all still work')
  t.equal(await status(a, after), 200, 'an own logout-all does not touch the external user of the same id')
}

t.test('database store, polled: the other instance refuses the external token within revocationDelay', async (t) => {
  const setup = await start(t, { url, database })
  await scenario(t, setup, REVOCATION_DELAY_MS + POLL_SLACK_MS, 'polled')
})

t.test('an instance started after the revocation knows it from its first poll', async (t) => {
  const setup = await start(t, { url, database })
  const token = await setup.idp.sign({ sub: 'late-starter' })
  t.equal(await status(setup.a, token), 200)
  t.equal((await call(setup.a.base, '/auth/logout-all', { method: 'POST', bearer: token })).status, 204)
  const late = await startApp(t, { url, database, options: { tokens: { trustedIssuers: [{ issuer: setup.idp.issuer, jwksUrl: setup.idp.jwksUrl, audience: AUDIENCE, algorithms: ['RS256'] }] } } })
  const answer = await settled(() => call(late.base, '/private', { bearer: token }))
  t.equal(answer.status, 401)
  t.equal(answer.body.code, 'AUTH_SESSION_REVOKED')
})

t.test('one shared in-memory store: the same within revocationDelay', async (t) => {
  const setup = await start(t, { memory: new MemorySessionStore() })
  await scenario(t, setup, REVOCATION_DELAY_MS + POLL_SLACK_MS, 'memory')
})

t.test('replica set: the change stream delivers it long before a slow poll would', async (t) => {
  const replica = await useReplicaSet(t)
  if ('skip' in replica) {
    t.comment(replica.skip)
    t.pass('skipped: no change streams on this server')
    return
  }
  // Polling every 30 s: only the change stream can deliver within a few seconds.
  const setup = await start(t, { url: replica.url, database: `${database}-rs` }, 30_000)
  await sleep(1500)
  await scenario(t, setup, 5000, 'stream')
})

t.test('session routes with an external token never reach the authgate user of the same id', async (t) => {
  const { a, idp } = await start(t, { url, database })
  const own = await signIn(a.base, `confused-${Date.now()}@example.com`)
  const external = await idp.sign({ sub: own.userId, email: 'mallory@idp.example' })
  const list = await settled(() => call(a.base, '/auth/sessions', { bearer: external }))
  t.equal(list.status, 200)
  t.same(list.body, [], 'no sessions listed')
  t.equal((await call(a.base, `/auth/sessions/${own.sid}`, { method: 'DELETE', bearer: external })).status, 404, 'cannot revoke the user\'s session')
  t.equal((await call(a.base, '/auth/sessions?others=true', { method: 'DELETE', bearer: external })).status, 204)
  const me = await call(a.base, '/auth/me', { bearer: external })
  t.equal(me.body.user.email, 'mallory@idp.example', '/auth/me answers from the token, not the authgate user')
  t.equal(await status(a, own.at), 200, 'the authgate user\'s session is intact')
  t.equal((await refresh(a.base, own.rt)).status, 200)
})

/** One plugin app on `store` trusting `idp`, its warnings collected (the Fastify logger at warn level). */
async function startOn (t: Test, store: MemorySessionStore, idp: ExternalIssuer, warnings: string[]): Promise<RunningApp> {
  return startApp(t, {
    url: 'unused',
    database: 'unused',
    logger: { level: 'warn', stream: { write: (line: string) => { warnings.push(String((JSON.parse(line) as { event?: string }).event)) } } },
    options: { store, tokens: { revocationDelay: `${REVOCATION_DELAY_MS}ms`, trustedIssuers: [{ issuer: idp.issuer, jwksUrl: idp.jwksUrl, audience: AUDIENCE, algorithms: ['RS256'] }] } }
  })
}

t.test('logout-all with an external token while the store is down: 503, and this instance refuses the token already', async (t) => {
  const idp = await startExternalIssuer(t, { path: '/realms/main', audience: AUDIENCE })
  idp.addKey('RS256')
  const store = new MemorySessionStore()
  let down = false
  const write = store.revokeSubject.bind(store)
  store.revokeSubject = async (issuer, sub, now) => {
    if (down) throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5 })
    await write(issuer, sub, now)
  }
  const app = await startOn(t, store, idp, [])
  const token = await idp.sign({ sub: 'down-user' })
  t.equal(await status(app, token), 200)
  down = true
  const out = await call(app.base, '/auth/logout-all', { method: 'POST', bearer: token })
  t.equal(out.status, 503, 'the store could not record it: the client is told to retry')
  t.equal(out.body.code, 'AUTH_STORE_UNAVAILABLE')
  const after = await call(app.base, '/private', { bearer: token })
  t.equal(after.status, 401, 'but the instance that received it refuses the token at once')
  t.equal(after.body.code, 'AUTH_SESSION_REVOKED')
})

t.test('a custom store without revokeSubject: one warning at start-up, and logout-all revokes on that instance only', async (t) => {
  const idp = await startExternalIssuer(t, { path: '/realms/main', audience: AUDIENCE })
  idp.addKey('RS256')
  const store = new MemorySessionStore()
  // A store written before revocation by subject: no revokeSubject (an own property hides the class's method).
  Object.defineProperty(store, 'revokeSubject', { value: undefined })
  const warningsA: string[] = []
  const warningsB: string[] = []
  const a = await startOn(t, store, idp, warningsA)
  const b = await startOn(t, store, idp, warningsB)
  const count = (warnings: string[]): number => warnings.filter((event) => event === 'subject_revocation_local').length
  t.equal(count(warningsA), 1, 'said once at start-up')
  const token = await idp.sign({ sub: 'local-only' })
  t.equal(await status(a, token), 200)
  t.equal(await status(b, token), 200)
  t.equal((await call(a.base, '/auth/logout-all', { method: 'POST', bearer: token })).status, 204)
  t.equal(count(warningsA), 1, 'not once per logout-all')
  t.equal((await call(a.base, '/private', { bearer: token })).status, 401, 'revoked on the instance that received it')
  await sleep(REVOCATION_DELAY_MS + POLL_SLACK_MS)
  t.equal(await status(b, token), 200, 'not on the other one (the store could not carry it)')
})

t.test('a starting instance answers 503 to external tokens until the subject revocations are read back; own tokens pass', async (t) => {
  const idp = await startExternalIssuer(t, { path: '/realms/main', audience: AUDIENCE })
  idp.addKey('RS256')
  const store = new MemorySessionStore()
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => { release = resolve })
  const read = store.listSubjectRevokedSince.bind(store)
  store.listSubjectRevokedSince = async (since, limit) => {
    await gate
    return read(since, limit)
  }
  const app = await startOn(t, store, idp, [])
  const own = await signIn(app.base, `backfill-${Date.now()}@example.com`)
  const token = await idp.sign({ sub: 'backfill-user' })
  // Past the issuer's start-up JWKS fetch (its own 503), bounded.
  await sleep(1600)
  const waiting = await call(app.base, '/private', { bearer: token })
  t.equal(waiting.status, 503, 'not accepted unchecked')
  t.equal(waiting.body.code, 'AUTH_STORE_UNAVAILABLE')
  t.equal(await status(app, own.at), 200, 'tokens with a session are not held back')
  release()
  t.equal(await status(app, token), 200, 'accepted once the backfill is done')
})
