// The audit trail of the store contract (issue #15 item 4): run by storeContract for every store. Rows of other
// subtests may share the collection (the MongoDB factory suffixes only some names): each subtest uses its own user
// ids and type names.
import { randomUUID } from 'node:crypto'
import type { ContractTest } from './contract-test.js'
import type { StoreFactory } from './factories.js'
import { AuthError } from '../errors.js'
import { queryAudit } from '../audit/query.js'
import { auditRecord } from '../audit/record.js'
import type { AuditRecord } from '../stores/audit-records.js'

const DAY = 86_400_000

function row (overrides: Partial<AuditRecord>): AuditRecord {
  const at = overrides.at ?? new Date()
  return {
    id: randomUUID(), type: 'login', at, userId: null, actor: null, ip: '127.0.0.1', userAgent: 'ua',
    details: { sessionId: 's1' }, expiresAt: new Date(at.getTime() + DAY), ...overrides
  }
}

export function auditContract<T extends ContractTest> (t: T, factory: StoreFactory<T>): void {
  t.test('audit: rows by user and by type, newest first, never one past its expiry', async (t) => {
    const store = await factory(t)
    if (store.insertAudit === undefined || store.listAudit === undefined) return t.fail('the built-in stores keep an audit trail')
    const [user, other] = [`u-${randomUUID()}`, `u-${randomUUID()}`]
    const type = `t-${randomUUID()}`
    const now = Date.now()
    const rows = [
      row({ userId: user, type, at: new Date(now - 3000), details: { reason: 'bad-password', n: 1, ok: true, none: null } }),
      row({ userId: user, type: 'logout', at: new Date(now - 2000) }),
      row({ userId: other, type, at: new Date(now - 1000), actor: 'admin-1' }),
      // Past retention, whether or not the server's TTL monitor has removed it yet.
      row({ userId: user, type, at: new Date(now - 5000), expiresAt: new Date(now - 1) })
    ]
    await store.insertAudit(rows)
    const at = new Date(now)
    const byUser = await store.listAudit({ userId: user, limit: 10, now: at })
    t.same(byUser.map((r) => r.id), [rows[1]?.id, rows[0]?.id], 'the user\'s rows, newest first, the expired one left out')
    t.same(byUser[1], rows[0], 'a row comes back as written, details included')
    t.same((await store.listAudit({ type, limit: 10, now: at })).map((r) => r.id), [rows[2]?.id, rows[0]?.id], 'by type, across users')
    t.same((await store.listAudit({ type, userId: other, limit: 10, now: at })).map((r) => r.actor), ['admin-1'], 'both filters at once')
    t.equal((await store.listAudit({ userId: user, limit: 1, now: at })).length, 1, 'at most limit rows')
    t.same(await store.listAudit({ userId: user, limit: 10, now: new Date(now + 2 * DAY) }), [], 'all past retention later on')
  })

  t.test('audit: `since` (the retention in force) leaves out older rows whose expiresAt is still ahead', async (t) => {
    const store = await factory(t)
    if (store.insertAudit === undefined || store.listAudit === undefined) return t.fail('no insertAudit')
    const capable = { insertAudit: store.insertAudit.bind(store), listAudit: store.listAudit.bind(store) }
    const user = `u-${randomUUID()}`
    const now = Date.now()
    // Written under a 90-day retention: expiresAt far ahead.
    const old = row({ userId: user, at: new Date(now - 3 * DAY), expiresAt: new Date(now + 87 * DAY) })
    const recent = row({ userId: user, at: new Date(now - 1000), expiresAt: new Date(now + 90 * DAY) })
    await store.insertAudit([old, recent])
    const at = new Date(now)
    t.same((await store.listAudit({ userId: user, limit: 10, now: at })).map((r) => r.id), [recent.id, old.id], 'both under the old retention')
    t.same((await store.listAudit({ userId: user, limit: 10, now: at, since: new Date(now - DAY) })).map((r) => r.id), [recent.id], 'since: only the newer one')
    t.same((await queryAudit(capable, { userId: user }, at, DAY)).items.map((r) => r.id), [recent.id], 'queryAudit with a 1-day retention in force')
    // With a cursor too: the bound on `at` and the position are both applied.
    const first = await queryAudit(capable, { userId: user, limit: 1 }, at, 5 * DAY)
    t.same(first.items.map((r) => r.id), [recent.id])
    t.same((await queryAudit(capable, { userId: user, limit: 1, cursor: first.nextCursor ?? '' }, at, 5 * DAY)).items.map((r) => r.id), [old.id], 'the next page under a retention that keeps it')
    t.same((await queryAudit(capable, { userId: user, limit: 1, cursor: first.nextCursor ?? '' }, at, 2 * DAY)).items, [], 'and not under one that does not')
  })

  t.test('audit: pages follow a total order (rows sharing an instant included): no skip, no repeat', async (t) => {
    const store = await factory(t)
    if (store.insertAudit === undefined || store.listAudit === undefined) return t.fail('no insertAudit')
    const capable = { insertAudit: store.insertAudit.bind(store), listAudit: store.listAudit.bind(store) }
    const user = `u-${randomUUID()}`
    const now = Date.now()
    // 23 rows on 5 instants: ties in `at` are broken by id. Ids as the writer makes them (auditRecord: mixed-case
    // base64url), so the store's order of ids (MongoDB's binary string order) must match the cursor's.
    const rows = Array.from({ length: 23 }, (_, index) => auditRecord({ type: 'login', at: new Date(now - (index % 5) * 1000), userId: user, actor: null, ip: '127.0.0.1', userAgent: 'ua', details: {} }, DAY))
    const ids = rows.map((r) => r.id).join('')
    t.ok(/[A-Z]/.test(ids) && /[a-z]/.test(ids) && /[0-9]/.test(ids), 'the ids mix cases and digits')
    await store.insertAudit(rows.slice(0, 10))
    await store.insertAudit(rows.slice(10))
    const seen: string[] = []
    let cursor: string | undefined
    for (let page = 0; page < 10; page++) {
      const result = await queryAudit(capable, { userId: user, limit: 7, ...(cursor === undefined ? {} : { cursor }) })
      seen.push(...result.items.map((item) => item.id))
      t.notOk('expiresAt' in (result.items[0] ?? {}), 'items leave out the housekeeping field')
      if (result.nextCursor === null) break
      cursor = result.nextCursor
    }
    const expected = [...rows].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id)
    t.same(seen, expected, 'every row once, in order')
    await t.rejects(queryAudit(capable, { cursor: 'not-a-cursor!' }), new AuthError('AUTH_BAD_REQUEST', { message: 'cursor is not one this server wrote' }))
    await t.rejects(queryAudit(capable, { cursor: Buffer.from('12.x.y').toString('base64url') }), { code: 'AUTH_BAD_REQUEST' })
    await t.rejects(queryAudit(capable, { limit: 0 }), { code: 'AUTH_BAD_REQUEST', message: /limit/ })
    await t.rejects(queryAudit(capable, { limit: 100_000 }), { code: 'AUTH_BAD_REQUEST' })
    await t.rejects(queryAudit(capable, { userId: 'x'.repeat(300) }), { code: 'AUTH_BAD_REQUEST', message: /userId/ })
  })
}
