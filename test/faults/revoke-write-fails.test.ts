// docs/design.md#failure-behaviour, "a logout or revoke write fails": 503, never 204 — the client must not believe the
// session ended. The database is healthy for every read of the request and hangs exactly at its revocation write: the
// driver's command monitoring freezes the private FerretDB (SIGSTOP) the moment the write command starts, either the
// tombstone insert (`revocations`, written first) or the session update (`sessions`, written second). Each revoking
// endpoint must answer 503 AUTH_STORE_UNAVAILABLE with Retry-After within the store budget, leave the refresh cookie
// alone, and once the database answers again the client's retry ends the session for good.
import t, { type Test } from 'tap'
import { MongoClient, type CommandStartedEvent } from 'mongodb'
import { startRestartableDatabase } from '@authgate/test-kit/restartable-database'
import { call, refresh, register, signIn, startApp, tryCall, waitUntil, type Answer, type RunningApp } from './helpers/app.js'

const db = await startRestartableDatabase()
const client = new MongoClient(db.url, { monitorCommands: true, serverSelectionTimeoutMS: 1000 })
await client.connect()
t.teardown(async () => {
  if (db.running) db.thaw()
  await client.close(true)
  await db.close()
})

const BUDGET_MS = 2500
const REVOCATION_DELAY_MS = 1000
type Stage = 'tombstone' | 'session'

/** Freezes the database when the next matching write command starts; true once it fired. */
let armed: ((event: CommandStartedEvent) => boolean) | undefined
let fired = false
client.on('commandStarted', (event) => {
  if (armed?.(event) !== true) return
  armed = undefined
  fired = true
  db.freeze()
})

/**
 * Arms the freeze for the write of `stage` that names session `sid` (every revoking endpoint here ends the target
 * session, and each write names the ids it revokes). Matching the id, not just the collection: an earlier case's
 * abandoned write may still land late (the driver retries it once the database thaws), and freezing on that one
 * would let this request through untested.
 */
function arm (stage: Stage, sid: string): void {
  fired = false
  const names = (event: CommandStartedEvent): boolean => JSON.stringify(event.command).includes(sid)
  armed = stage === 'tombstone'
    ? (event) => event.commandName === 'insert' && event.command.insert === 'revocations' && names(event)
    : (event) => ((event.commandName === 'findAndModify' && event.command.findAndModify === 'sessions') ||
        (event.commandName === 'update' && event.command.update === 'sessions')) && names(event)
}

async function recover (t: Test, app: RunningApp): Promise<void> {
  armed = undefined
  db.thaw()
  t.ok(await waitUntil(() => app.app.authgate.storeReady(), 8000, 100) >= 0, 'the database answers again')
}

function assertRefused (t: Test, answer: Answer, what: string): void {
  t.not(answer.status, 204, `${what}: never 204 while the revocation is not written`)
  t.equal(answer.status, 503, `${what}: 503 (got ${answer.status} ${JSON.stringify(answer.body)})`)
  t.equal(answer.body?.code, 'AUTH_STORE_UNAVAILABLE', `${what}: AUTH_STORE_UNAVAILABLE`)
  t.ok(Number(answer.headers.get('retry-after')) >= 1, `${what}: Retry-After`)
  t.ok(answer.ms < BUDGET_MS, `${what}: answered in ${answer.ms} ms < ${BUDGET_MS} ms`)
  t.equal(answer.rt, undefined, `${what}: the refresh cookie is neither cleared nor replaced`)
}

interface Endpoint {
  name: string
  /** logout-all ends every session of the user, the caller's too. */
  endsAll?: boolean
  /** The revoking request, given the session it should end and another session of the same user. */
  send: (base: string, target: { rt: string, at: string, sid: string }, other: { rt: string, at: string, sid: string }) => Promise<Answer>
}

const ENDPOINTS: Endpoint[] = [
  { name: 'POST /auth/logout', send: (base, target) => tryCall(base, '/auth/logout', { cookie: target.rt, timeoutMs: 8000 }) },
  { name: 'POST /auth/logout-all', endsAll: true, send: (base, target) => tryCall(base, '/auth/logout-all', { method: 'POST', bearer: target.at, timeoutMs: 8000 }) },
  { name: 'DELETE /auth/sessions/:id', send: (base, target, other) => tryCall(base, `/auth/sessions/${encodeURIComponent(target.sid)}`, { method: 'DELETE', bearer: other.at, timeoutMs: 8000 }) },
  { name: 'DELETE /auth/sessions?others=true', send: (base, _target, other) => tryCall(base, '/auth/sessions?others=true', { method: 'DELETE', bearer: other.at, timeoutMs: 8000 }) }
]

t.test('logout, logout-all and session revocation whose write fails answer 503, never 204; the retry ends the session', async (t) => {
  const app = await startApp(t, {
    url: db.url, database: 'revoke_write', mongo: { client, serverSelectionTimeoutMS: 1000, maxTimeMS: 1000 },
    options: { tokens: { revocationDelay: `${REVOCATION_DELAY_MS}ms` } }
  })
  let user = 0
  for (const endpoint of ENDPOINTS) {
    for (const stage of ['tombstone', 'session'] as const) {
      const what = `${endpoint.name}, ${stage} write hangs`
      const email = `revoke-${++user}@example.com`
      const target = await signIn(app.base, email)
      const other = await signIn(app.base, email, false)
      t.equal((await register(app.base, email)).status, 409, 'the user exists')

      arm(stage, target.sid)
      const failed = await endpoint.send(app.base, target, other)
      t.ok(fired, `${what}: the database froze at that write`)
      assertRefused(t, failed, what)
      await recover(t, app)

      const retried = await endpoint.send(app.base, target, other)
      // logout-all authenticates with the session it ends: if the first attempt's tombstone landed after the thaw,
      // the retry may already find that session revoked (401 AUTH_SESSION_REVOKED), which also tells the client so.
      const outcome = `${retried.status}${retried.status === 204 ? '' : ` ${retried.body?.code}`}`
      const accepted = endpoint.endsAll === true ? ['204', '401 AUTH_SESSION_REVOKED'] : ['204']
      t.ok(accepted.includes(outcome), `${what}: the client's retry ends the session (${outcome})`)
      const after = await refresh(app.base, target.rt)
      t.equal(after.status, 401, `${what}: after the retry the session is over (refresh ${after.status} ${after.body?.code})`)
      if (endpoint.endsAll === true) {
        // When the first attempt's session write lands late (after the thaw), the retry finds nothing left to revoke
        // and the access tokens are refused once the revocation list polls the tombstone: within revocationDelay.
        const refused = await waitUntil(async () => (await call(app.base, '/private', { bearer: other.at })).status === 401, REVOCATION_DELAY_MS + 2000, 100)
        t.ok(refused >= 0, `${what}: every session of the user is over, access tokens too (after ${refused} ms)`)
      } else {
        t.equal((await call(app.base, '/private', { bearer: other.at })).status, 200, `${what}: the session making the call is alive`)
      }
    }
  }
})
