// A starting instance serves no session revoked before it started, however long its first revocation poll takes:
// until the poll ends, tokens with a session answer 503 (sessionsPending). A first poll that fails (the database down
// at boot) is an outage like any other: Bearer checks go on, as database-down.test.ts in test/faults requires.
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import authgate from '../src/index.js'
import { createRevocationList } from '../src/revocation/list.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import { bearer, signIn, sleep } from './helpers/app.js'
import { testKey } from './helpers/keys.js'

const keys = [testKey('EdDSA')]

/** The memory store, whose revocation reads can be held until released, or made to fail. */
class GatedStore extends MemorySessionStore {
  gate: Promise<void> | undefined
  failing = false
  override async listRevokedSince (since: Date, limit?: number): Promise<Array<{ id: string, revokedAt: Date }>> {
    if (this.failing) throw new Error('the database does not answer')
    await this.gate
    return super.listRevokedSince(since, limit)
  }
}

async function appOn (t: Test, store: MemorySessionStore): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(authgate, { store, rateLimit: false, tokens: { keys, issuer: 'authgate-test', audience: 'test' } })
  app.get('/private', { config: { auth: 'required' } }, async (request) => ({ sub: request.user?.sub }))
  t.teardown(() => app.close())
  await app.ready()
  return app
}

t.test('a first poll still reading after start-up: tokens with a session answer 503 until it ends, then the revocation holds', async (t) => {
  const store = new GatedStore()
  const first = await appOn(t, store)
  const revoked = await signIn(first, 'revoked-before-restart@example.com')
  const live = await signIn(first, 'live@example.com')
  t.equal((await first.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(revoked.at) })).statusCode, 204)
  await first.close()

  let release = (): void => {}
  store.gate = new Promise((resolve) => { release = resolve })
  const second = await appOn(t, store)
  for (const [name, token] of [['revoked', revoked.at], ['live', live.at]]) {
    const pending = await second.inject({ url: '/private', headers: bearer(token!) })
    t.equal(pending.statusCode, 503, `${name}: 503 while the first poll reads (never a 200 for a revoked session)`)
    t.equal(pending.json().code, 'AUTH_STORE_UNAVAILABLE')
    t.equal(pending.headers['retry-after'], '1')
  }
  t.equal(second.authgate.revocations.sessionsPending, true)

  release()
  const started = Date.now()
  while (second.authgate.revocations.sessionsPending === true && Date.now() - started < 5000) await sleep(10)
  const after = await second.inject({ url: '/private', headers: bearer(revoked.at) })
  t.equal(after.statusCode, 401, 'once read, the session revoked before the restart is refused')
  t.equal(after.json().code, 'AUTH_SESSION_REVOKED')
  t.equal((await second.inject({ url: '/private', headers: bearer(live.at) })).statusCode, 200, 'and a live session passes')
})

t.test('a first poll that fails (the database down at boot): Bearer checks go on, as during any outage', async (t) => {
  const store = new GatedStore()
  store.failing = true
  const app = await appOn(t, store)
  const signed = app.authgate.tokens.sign({ sub: 'u-boot', sid: 's-boot', roles: ['user'] })
  t.equal((await app.inject({ url: '/private', headers: bearer(signed.token) })).statusCode, 200)
  t.equal(app.authgate.revocations.sessionsPending, false)
})

t.test('sessionsPending: from start() until the first poll ends, whichever way', async (t) => {
  let answer: 'hold' | 'ok' = 'hold'
  let release = (): void => {}
  const source = {
    async listRevokedSince (): Promise<Array<{ id: string, revokedAt: Date }>> {
      if (answer === 'hold') await new Promise<void>((resolve) => { release = resolve })
      return []
    }
  }
  const list = createRevocationList({ source, pollIntervalMs: 60_000, retentionMs: 60_000 })
  t.equal(list.sessionsPending, false, 'not started: nothing is pending')
  list.start()
  t.teardown(() => list.stop())
  t.equal(list.sessionsPending, true, 'started, first poll reading')
  answer = 'ok'
  release()
  await list.poll()
  t.equal(list.sessionsPending, false, 'first poll done')

  const failing = createRevocationList({ source: { listRevokedSince: async () => { throw new Error('down') } }, pollIntervalMs: 60_000, retentionMs: 60_000 })
  failing.start()
  t.teardown(() => failing.stop())
  await failing.poll()
  t.equal(failing.sessionsPending, false, 'a failed first poll is an outage, not a pending read')
})
