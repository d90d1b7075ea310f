// The audit trail of the store contract (issue #15 item 4): run by storeContract for every store. Rows of other
// subtests may share the collection (the MongoDB factory suffixes only some names): each subtest uses its own user
// ids and type names.
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { AuthError } from '../src/errors.js'
import { queryAudit } from '../src/audit/query.js'
import type { AuditRecord } from '../src/stores/audit-records.js'
import type { SessionStore } from '../src/stores/store.js'

type Factory = (t: Test) => Promise<SessionStore>
const DAY = 86_400_000

function row (overrides: Partial<AuditRecord>): AuditRecord {
  const at = overrides.at ?? new Date()
  return {
    id: randomUUID(), type: 'login', at, userId: null, actor: null, ip: '127.0.0.1', userAgent: 'ua',
    details: { sessionId: 's1' }, expiresAt: new Date(at.getTime() + DAY), ...overrides
  }
}

export function auditContract (t: Test, factory: Factory): void {
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

  t.test('audit: pages follow a total order (rows sharing an instant included): no skip, no repeat', async (t) => {
    const store = await factory(t)
    if (store.insertAudit === undefined || store.listAudit === undefined) return t.fail('no insertAudit')
    const capable = { insertAudit: store.insertAudit.bind(store), listAudit: store.listAudit.bind(store) }
    const user = `u-${randomUUID()}`
    const now = Date.now()
    // 23 rows on 5 instants: ties in `at` are broken by id.
    const rows = Array.from({ length: 23 }, (_, index) => row({ userId: user, at: new Date(now - (index % 5) * 1000) }))
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
