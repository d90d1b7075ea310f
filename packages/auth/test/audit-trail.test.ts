// The audit trail through the real plugin (issue #15 item 4), on the memory store and the real test database: every
// event type writes its row; no row ever holds a password, a token, a token hash, a cookie value or the email typed
// for an unknown account; a store whose insert hangs costs rows (dropped, counted), never a login's time; close
// gives up within its bound; retention false writes nothing.
import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { Registry } from 'prom-client'
import { MongoClient } from 'mongodb'
import { useTestDatabase } from '../../../test/mongo/per-test.mjs'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { AuditRecord } from '../src/stores/audit-records.js'
import { AUDIT_IDLE } from '../src/audit/setup.js'
import { IP_WATCH_IDLE } from '../src/notifications/ip-watch.js'
import { bearer, buildApp, cookieOf, login, PASSWORD, register, setCookieHeaders, type StoreKind } from './helpers/app.js'

const { name: database } = await useTestDatabase(t, 'audit')

async function settle (app: FastifyInstance): Promise<void> {
  const decorator = app.authgate as unknown as Record<symbol, () => Promise<void>>
  await decorator[IP_WATCH_IDLE]?.()
  await decorator[AUDIT_IDLE]?.()
}

async function allRows (app: FastifyInstance): Promise<AuditRecord[]> {
  await settle(app)
  return (await app.authgate.store.listAudit?.({ limit: 10_000, now: new Date() })) ?? []
}

const from = (ip: string, agent = 'agent-one/1.0'): Record<string, string> => ({ 'x-forwarded-for': ip, 'user-agent': agent })
const sidOf = (accessToken: string): string => (JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sid: string }).sid

for (const kind of ['memory', 'mongo'] as const satisfies StoreKind[]) {
  t.test(`${kind}: every event type writes its row, and no row holds a secret`, async (t) => {
    const app = await buildApp(t, kind, {
      database,
      trustProxy: true,
      options: {
        tokens: { reuseGrace: 0 },
        rateLimit: { login: { max: 3, timeWindow: '1m' }, accountFailures: { max: 2, timeWindow: '15m' } }
      }
    })
    const secrets: string[] = [PASSWORD]
    const keep = (response: LightMyRequestResponse): LightMyRequestResponse => {
      for (const header of setCookieHeaders(response)) {
        const value = /^[^=]+=([^;]*)/.exec(header)?.[1]
        if (value !== undefined && value.length > 0) {
          secrets.push(value, createHash('sha256').update(value).digest('hex'), createHash('sha256').update(value).digest('base64url'))
        }
      }
      if (response.statusCode === 200) secrets.push(response.json<{ accessToken: string }>().accessToken)
      return response
    }
    const email = `alice-${randomUUID()}@example.com`
    await register(app, email)
    const first = keep(await login(app, email, PASSWORD, from('203.0.113.7')))
    t.equal(first.statusCode, 200)
    const userId = first.json<{ user: { id: string } }>().user.id
    const rt1 = cookieOf(first)?.value ?? ''
    const wrong = `wrong-${randomUUID()}`
    secrets.push(wrong)
    t.equal((await login(app, email, wrong, from('203.0.113.8'))).statusCode, 401)
    const ghost = `ghost-${randomUUID()}@example.com`
    secrets.push(ghost, `${wrong}-ghost`)
    t.equal((await login(app, ghost, `${wrong}-ghost`, from('203.0.113.9'))).statusCode, 401)
    await settle(app)
    // Another network: newIp; its login succeeds and forgives the failure above.
    const away = keep(await login(app, email, PASSWORD, from('198.51.100.4', 'agent-two/2.0')))
    t.equal(away.statusCode, 200)
    // Refresh, then the retired token again: reuse (reuseGrace 0).
    const rotated = keep(await app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `authgate_rt=${rt1}`, ...from('203.0.113.7') } }))
    t.equal(rotated.statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/auth/refresh', headers: { cookie: `authgate_rt=${rt1}`, ...from('192.0.2.50', 'thief/1') } })).statusCode, 401)
    const third = keep(await login(app, email, PASSWORD, from('198.51.100.5')))
    const fourth = keep(await login(app, email, PASSWORD, from('198.51.100.6')))
    const at3 = third.json<{ accessToken: string }>().accessToken
    const at4 = fourth.json<{ accessToken: string }>().accessToken
    t.equal((await app.inject({ method: 'DELETE', url: `/auth/sessions/${sidOf(at4)}`, headers: { ...bearer(at3), ...from('198.51.100.5') } })).statusCode, 204)
    t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: { cookie: `authgate_rt=${cookieOf(third)?.value ?? ''}`, ...from('198.51.100.5') } })).statusCode, 204)
    const fifth = keep(await login(app, email, PASSWORD, from('198.51.100.7')))
    const sixth = keep(await login(app, email, PASSWORD, from('198.51.100.8')))
    const at6 = sixth.json<{ accessToken: string }>().accessToken
    t.equal(fifth.statusCode, 200)
    t.equal((await app.inject({ method: 'DELETE', url: '/auth/sessions?others=true', headers: { ...bearer(at6), ...from('198.51.100.8') } })).statusCode, 204)
    t.equal((await app.inject({ method: 'POST', url: '/auth/logout-all', headers: { ...bearer(at6), ...from('198.51.100.8') } })).statusCode, 204)
    // The account lockout (2 failures), the per-IP limit (3 a minute), a body the schema refuses.
    const locked = `bob-${randomUUID()}@example.com`
    await register(app, locked)
    for (const ip of ['10.9.0.1', '10.9.0.2']) t.equal((await login(app, locked, wrong, from(ip))).statusCode, 401)
    t.equal((await login(app, locked, PASSWORD, from('10.9.0.3'))).statusCode, 429, 'locked')
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await login(app, `nobody-${i}@example.com`, wrong, from('10.8.0.1'))).statusCode)
    t.same(statuses, [401, 401, 401, 429], 'the per-IP limit')
    t.equal((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'not-an-email' }, headers: from('10.7.0.1') })).statusCode, 400)

    const rows = await allRows(app)
    const mine = rows.filter((row) => row.userId === userId)
    const types = new Set(mine.map((row) => row.type))
    for (const type of ['login', 'loginFailed', 'newDevice', 'newIp', 'refreshReuse', 'sessionRevoked', 'logout', 'otherSessionsRevoked', 'logoutAll']) {
      t.ok(types.has(type), `a ${type} row for the user`)
    }
    t.match(mine.find((row) => row.type === 'loginFailed'), { ip: '203.0.113.8', userAgent: 'agent-one/1.0', details: { reason: 'bad-password' }, actor: null })
    t.match(mine.find((row) => row.type === 'newIp'), { ip: '198.51.100.4', userAgent: 'agent-two/2.0', details: { previousIp: '203.0.113.7', network: '198.51.100.0/24', via: 'login' } })
    t.match(mine.find((row) => row.type === 'refreshReuse'), { ip: '192.0.2.50', details: { classification: 'theft', revoked: true, ipChanged: true } })
    t.match(mine.find((row) => row.type === 'sessionRevoked'), { details: { sessionId: sidOf(at4), sessions: 1 } })
    const reasons = rows.filter((row) => row.type === 'loginFailed').map((row) => row.details.reason)
    for (const reason of ['bad-password', 'unknown-user', 'locked', 'rate-limited', 'invalid-request']) t.ok(reasons.includes(reason), `a loginFailed row with reason ${reason}`)
    t.equal(rows.find((row) => row.details.reason === 'unknown-user')?.userId, null, 'an unknown account: no user id, and not the email typed')
    for (const row of rows) {
      t.ok(row.expiresAt.getTime() - row.at.getTime() === 90 * 86_400_000, 'kept for the default 90 days')
    }
    // The stored form, as is: on MongoDB the raw documents of the collection.
    let serialized = JSON.stringify(rows)
    if (kind === 'mongo') {
      const client = await MongoClient.connect(process.env.MONGODB_URL ?? '')
      t.teardown(() => client.close())
      const docs = await client.db(database).collection('audit').find({}).toArray()
      t.ok(docs.length >= rows.length)
      serialized += JSON.stringify(docs)
      const indexes = await client.db(database).collection('audit').indexes()
      t.ok(indexes.some((index) => JSON.stringify(index.key) === '{"expiresAt":1}'), 'a TTL (or, on FerretDB v1, plain) index on expiresAt')
    }
    t.ok(secrets.length > 10)
    for (const secret of secrets) t.notOk(serialized.includes(secret), `no row holds ${secret.slice(0, 12)}…`)
  })
}

t.test('a store whose audit insert hangs: rows are dropped and counted, logins keep their time, close gives up in time', async (t) => {
  const store = new MemorySessionStore()
  let inserts = 0
  store.insertAudit = async () => {
    inserts++
    await new Promise(() => {})
  }
  const registry = new Registry()
  const app = await buildApp(t, 'memory', { options: { store, metrics: registry, rateLimit: false, audit: { queueSize: 100 } } })
  await register(app, 'hang@example.com')
  const timed = async (): Promise<number> => {
    const started = performance.now()
    t.equal((await login(app, 'hang@example.com')).statusCode, 200)
    return performance.now() - started
  }
  const before = await timed()
  // Fill the queue well past its bound: the first batch hangs in the store, the rest waits, then drops.
  for (let i = 0; i < 300; i++) app.authgate.events.emit('loginFailed', { reason: 'bad-password', userId: 'u', ip: '127.0.0.1', userAgent: 'x', at: new Date() })
  const after = await timed()
  t.ok(after < Math.max(before * 3, before + 250), `a login with the queue full takes as long (${Math.round(before)} ms, then ${Math.round(after)} ms)`)
  t.equal(inserts, 1, 'one insert in flight at a time')
  const metrics = await registry.getSingleMetricAsString('authgate_audit_dropped_total')
  const dropped = Number(/reason="queue_full"\} (\d+)/.exec(metrics)?.[1])
  t.ok(dropped >= 100, `dropped rows are counted (${dropped})`)
  const closing = performance.now()
  await app.close()
  t.ok(performance.now() - closing < 3000, 'close gives up on the hung store within its bound')
})

t.test('audit.retention false: no rows, and the query says there is no trail', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: false, audit: { retention: false } } })
  await register(app, 'off@example.com')
  t.equal((await login(app, 'off@example.com')).statusCode, 200)
  t.same(await allRows(app), [])
  await t.rejects(app.authgate.queryAudit({}), { code: 'AUTH_NOT_FOUND' })
})

t.test('queryAudit on the decorator: the admin API\'s entry, filtered and paged', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: false } })
  await register(app, 'q@example.com')
  for (let i = 0; i < 3; i++) await login(app, 'q@example.com')
  await login(app, 'q@example.com', 'nope-nope-nope')
  await settle(app)
  const first = await app.authgate.queryAudit({ type: 'login', limit: 2 })
  t.equal(first.items.length, 2)
  t.ok(first.nextCursor)
  const rest = await app.authgate.queryAudit({ type: 'login', limit: 2, cursor: first.nextCursor ?? '' })
  t.equal(rest.items.length, 1)
  t.equal(rest.nextCursor, null)
  t.same((await app.authgate.queryAudit({ type: 'loginFailed' })).items.map((item) => item.details.reason), ['bad-password'])
  await t.rejects(app.authgate.queryAudit({ cursor: '%%%' }), { code: 'AUTH_BAD_REQUEST', message: /cursor/ })
})

t.test('a store without insertAudit/listAudit: said once at start-up, no trail, logins work', async (t) => {
  const lines: Array<{ event?: string, msg?: string }> = []
  const store = new MemorySessionStore()
  Object.assign(store, { insertAudit: undefined, listAudit: undefined })
  const { default: Fastify } = await import('fastify')
  const { default: authgate } = await import('../src/index.js')
  const { testKey } = await import('./helpers/keys.js')
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(JSON.parse(line) as { event?: string }) } } } })
  await app.register(authgate, { store, rateLimit: false, tokens: { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' } })
  t.teardown(() => app.close())
  await app.ready()
  t.equal(lines.filter((line) => line.event === 'audit_unsupported').length, 1, 'one warning')
  await register(app, 'custom@example.com')
  t.equal((await login(app, 'custom@example.com')).statusCode, 200)
  await t.rejects(app.authgate.queryAudit({}), { code: 'AUTH_NOT_FOUND' })
})

t.test('audit options: bad values are refused naming the key', async (t) => {
  const { normaliseOptions } = await import('../src/options.js')
  const { testKey } = await import('./helpers/keys.js')
  const base = { tokens: { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' } }
  for (const [audit, pattern] of [
    [{ retention: 0 }, /audit\.retention/],
    [{ retention: 'forever' }, /audit\.retention/],
    [{ retention: '30m' }, /audit\.retention/],
    [{ queueSize: 5 }, /audit\.queueSize/],
    [{ retension: '1d' }, /audit\.retension.*retention/]
  ] as const) {
    t.throws(() => normaliseOptions({ ...base, audit: audit as never }), pattern, JSON.stringify(audit))
  }
  t.same(normaliseOptions({ ...base, audit: { retention: false } }).audit, { retentionMs: false, queueSize: 5000 })
  t.same(normaliseOptions({ ...base, audit: { retention: '7d', queueSize: 100 } }).audit, { retentionMs: 7 * 86_400_000, queueSize: 100 })
  t.same(normaliseOptions(base).audit, { retentionMs: 90 * 86_400_000, queueSize: 5000 })
})
