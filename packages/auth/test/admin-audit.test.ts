// GET /auth/admin/audit (issue #15 items 3-4): every admin action leaves a row naming who did what to whom, readable
// by admins only, filtered by user and type, paged without skip or repeat; nothing secret in any row.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { AUDIT_IDLE } from '../src/setup/audit.js'
import { build, call, code, user } from './helpers/admin-app.js'
import { PASSWORD } from './helpers/app.js'

interface Row { id: string, type: string, at: string, userId: string | null, actor: string | null, ip: string, details: Record<string, unknown> }

async function settle (app: FastifyInstance): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
  await (app.authgate as unknown as Record<symbol, () => Promise<void>>)[AUDIT_IDLE]?.()
}

t.test('admin actions are rows of the trail, read through GET /auth/admin/audit by admins only', async (t) => {
  const built = await build(t, { admin: { roles: ['admin'], grantableRoles: ['user', 'billing'] } })
  const admin = await user(built, 'root@example.com', ['admin', 'user'])
  const target = await user(built, 'target@example.com', ['user'])
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { roles: ['user', 'billing'] })).statusCode, 200)
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { disabled: true })).statusCode, 200)
  t.equal((await call(built.app, 'DELETE', `/auth/admin/users/${target.id}/sessions`, admin.at)).statusCode, 204)
  await settle(built.app)

  const anonymous = await call(built.app, 'GET', '/auth/admin/audit')
  t.equal(anonymous.statusCode, 401)
  const outsider = await user(built, 'outsider@example.com', ['user'])
  const refused = await call(built.app, 'GET', '/auth/admin/audit', outsider.at)
  t.equal(refused.statusCode, 403)
  t.equal(code(refused), 'AUTH_FORBIDDEN')

  const response = await call(built.app, 'GET', `/auth/admin/audit?type=adminAction&userId=${encodeURIComponent(target.id)}`, admin.at)
  t.equal(response.statusCode, 200)
  t.equal(response.headers['cache-control'], 'no-store')
  const rows = response.json<{ items: Row[] }>().items
  t.same(rows.map((row) => row.details.action), ['sessions.revoke', 'user.update', 'user.update'], 'every action, newest first')
  for (const row of rows) {
    t.equal(row.actor, admin.id, 'who')
    t.equal(row.userId, target.id, 'to whom')
    t.equal(row.ip, '127.0.0.1')
  }
  t.equal(rows[2]?.details.rolesTo, 'user,billing', 'what: the roles granted')
  t.equal(rows[1]?.details.disabled, true, 'what: disabled')
  const serialized = JSON.stringify(response.json())
  for (const secret of [PASSWORD, admin.at, admin.rt, target.rt]) t.notOk(serialized.includes(secret), 'no password or token in the trail')
})

t.test('paging, filters and bad input', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'pager@example.com', ['admin'])
  const target = await user(built, 'paged@example.com', ['user'])
  for (let i = 0; i < 5; i++) await call(built.app, 'DELETE', `/auth/admin/users/${target.id}/sessions`, admin.at)
  await settle(built.app)
  const seen: string[] = []
  let cursor: string | null = null
  for (let page = 0; page < 10; page++) {
    const url: string = `/auth/admin/audit?type=adminAction&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`
    const body = (await call(built.app, 'GET', url, admin.at)).json<{ items: Row[], nextCursor: string | null }>()
    t.ok(body.items.length <= 2)
    seen.push(...body.items.map((row) => row.id))
    cursor = body.nextCursor
    if (cursor === null) break
  }
  t.equal(seen.length, 5, 'all five rows')
  t.equal(new Set(seen).size, 5, 'none twice')
  for (const bad of ['cursor=not-a-cursor', 'limit=0', 'limit=201', 'type=bad%20type', `userId=${'x'.repeat(300)}`, 'unknown=1&limit=x']) {
    const response = await call(built.app, 'GET', `/auth/admin/audit?${bad}`, admin.at)
    t.equal(response.statusCode, 400, bad)
  }
})

t.test('a trail turned off answers 404, never 500', async (t) => {
  const built = await build(t, { audit: { retention: false } })
  const admin = await user(built, 'off@example.com', ['admin'])
  const response = await call(built.app, 'GET', '/auth/admin/audit', admin.at)
  t.equal(response.statusCode, 404)
  t.equal(code(response), 'AUTH_NOT_FOUND')
})
