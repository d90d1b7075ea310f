// The admin API (issue #15 item 3): authorization of every admin route (401 anonymous, 403 without the role, 403 for
// an admin demoted since their token was signed), the escalation and self-lockout rules, disable/enable, deletion,
// revoke-all reaching access tokens within revocationDelay, role changes at the next refresh, paging, bad input.
import Fastify, { type LightMyRequestResponse } from 'fastify'
import t from 'tap'
import authgate from '../src/index.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { SessionStore } from '../src/stores/store.js'
import { bearer, cookieOf, login, refresh, register } from './helpers/app.js'
import { KEY, build, call, claimsOf, code, user } from './helpers/admin-app.js'

t.test('every admin route: 401 anonymous, 403 for a non-admin, 403 for a demoted admin\'s live token', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const plain = await user(built, 'plain@example.com')
  const demoted = await user(built, 'demoted@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  await built.store.setUserRoles(demoted.id, ['user'])
  t.same(claimsOf(demoted.at).roles, ['admin'], 'the demoted admin still holds a token claiming admin')
  t.ok(built.routes.length >= 6, `the admin routes were collected (${built.routes.length})`)
  t.ok(built.routes.some((route) => route.method === 'HEAD'), 'the HEAD routes Fastify adds for each GET are in the matrix')
  for (const route of built.routes) {
    const url = route.url.replace(':id', target.id)
    const body = route.method === 'PATCH' ? { disabled: false } : undefined
    const name = `${route.method} ${route.url}`
    // HEAD answers carry no body: only their status can be checked.
    const codeOf = (response: LightMyRequestResponse): string => route.method === 'HEAD' ? 'AUTH_FORBIDDEN' : code(response)
    const anonymous = await call(built.app, route.method, url, undefined, body)
    t.equal(anonymous.statusCode, 401, `${name} anonymous`)
    const forbidden = await call(built.app, route.method, url, plain.at, body)
    t.equal(forbidden.statusCode, 403, `${name} non-admin`)
    t.equal(codeOf(forbidden), 'AUTH_FORBIDDEN')
    t.equal(forbidden.body.includes('"email"'), false, `${name}: no user data to a non-admin`)
    const stale = await call(built.app, route.method, url, demoted.at, body)
    t.equal(stale.statusCode, 403, `${name} demoted admin`)
    t.equal(codeOf(stale), 'AUTH_FORBIDDEN')
    // The route exists and answers an admin (its own tests check what).
    t.not((await call(built.app, route.method, url.replace(target.id, 'no-such-user'), admin.at, body)).statusCode, 403, `${name} admin passes the guard`)
  }
  t.equal((await call(built.app, 'GET', `/auth/admin/users/${target.id}`, admin.at)).statusCode, 200, 'a sitting admin reads the user')
})

t.test('answers carry the public user shape, never a password hash; unknown ids 404', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  const one = await call(built.app, 'GET', `/auth/admin/users/${target.id}`, admin.at)
  t.same(Object.keys(one.json<object>()).sort(), ['createdAt', 'disabled', 'email', 'id', 'roles', 'updatedAt'])
  const list = await call(built.app, 'GET', '/auth/admin/users', admin.at)
  const patched = await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { roles: ['user'] })
  const sessions = await call(built.app, 'GET', `/auth/admin/users/${target.id}/sessions`, admin.at)
  t.equal(sessions.json<unknown[]>().length, 1, 'the target\'s session is listed')
  for (const response of [one, list, patched, sessions]) {
    t.equal(response.statusCode, 200)
    t.notMatch(response.body, /argon2|passwordHash|tokenHash|previousHashes/, 'no hash in the answer')
  }
  for (const [method, suffix] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['GET', '/sessions'], ['DELETE', '/sessions']] as const) {
    const response = await call(built.app, method, `/auth/admin/users/nobody${suffix}`, admin.at, method === 'PATCH' ? { disabled: true } : undefined)
    t.equal(response.statusCode, 404, `${method} unknown${suffix}`)
  }
})

t.test('escalation: only roles the admin may grant, only on admins they outrank', async (t) => {
  const built = await build(t, { admin: { roles: ['admin', 'superadmin'] } })
  const admin = await user(built, 'admin@example.com', ['admin'])
  const boss = await user(built, 'boss@example.com', ['admin', 'superadmin'])
  const target = await user(built, 'target@example.com')
  const grant = await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { roles: ['user', 'superadmin'] })
  t.equal(grant.statusCode, 403, 'granting a role the admin lacks')
  t.equal(code(grant), 'AUTH_ADMIN_ESCALATION')
  t.same((await built.store.findUserById(target.id))?.roles, ['user'], 'nothing written')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { roles: ['user', 'billing'] })).statusCode, 200, 'without grantableRoles any non-admin role can be granted')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { roles: ['user'] })).statusCode, 200, 'and removed')
  for (const change of [{ disabled: true }, { roles: ['superadmin', 'admin'] }]) {
    const onBoss = await call(built.app, 'PATCH', `/auth/admin/users/${boss.id}`, admin.at, change)
    t.equal(onBoss.statusCode, 403, `acting on a superadmin: ${JSON.stringify(change)}`)
    t.equal(code(onBoss), 'AUTH_ADMIN_ESCALATION')
  }
  for (const [method, suffix] of [['DELETE', ''], ['DELETE', '/sessions']] as const) {
    t.equal((await call(built.app, method, `/auth/admin/users/${boss.id}${suffix}`, admin.at)).statusCode, 403, `${method}${suffix} on a superadmin`)
  }
  t.equal((await built.store.findUserById(boss.id))?.disabled, undefined, 'the superadmin untouched')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { roles: ['user', 'admin'] })).statusCode, 200, 'a held role can be granted (user stays)')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, boss.at, { roles: ['user', 'admin', 'superadmin'] })).statusCode, 200, 'the superadmin grants theirs')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { disabled: true })).statusCode, 403, 'the target now outranks the admin')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${admin.id}`, boss.at, { disabled: true })).statusCode, 200, 'the superadmin acts on an admin')

  const configured = await build(t, { admin: { grantableRoles: ['user', 'support'] } })
  const limited = await user(configured, 'admin@example.com', ['admin'])
  const other = await user(configured, 'other@example.com')
  t.equal((await call(configured.app, 'PATCH', `/auth/admin/users/${other.id}`, limited.at, { roles: ['user', 'support'] })).statusCode, 200, 'grantableRoles lets a role the admin lacks be granted')
  const made = await call(configured.app, 'PATCH', `/auth/admin/users/${other.id}`, limited.at, { roles: ['admin'] })
  t.equal(made.statusCode, 200, 'an admin role the admin holds is grantable whatever grantableRoles lists')
  t.equal((await call(configured.app, 'PATCH', `/auth/admin/users/${other.id}`, limited.at, { roles: ['billing'] })).statusCode, 403, 'a non-admin role outside grantableRoles')

  // An admin role in grantableRoles is still grantable only by those who hold it: never a self-promotion.
  const listed = await build(t, { admin: { roles: ['admin', 'superadmin'], grantableRoles: ['user', 'superadmin'] } })
  const climber = await user(listed, 'climber@example.com', ['admin'])
  const plain = await user(listed, 'plain@example.com')
  for (const id of [climber.id, plain.id]) {
    const promoted = await call(listed.app, 'PATCH', `/auth/admin/users/${id}`, climber.at, { roles: ['admin', 'superadmin'] })
    t.equal(promoted.statusCode, 403, `superadmin listed in grantableRoles but not held: refused (${id === climber.id ? 'self' : 'other'})`)
    t.equal(code(promoted), 'AUTH_ADMIN_ESCALATION')
  }
  t.same((await listed.store.findUserById(climber.id))?.roles, ['admin'], 'the admin did not promote themselves')
})

t.test('self-lockout: an admin cannot disable, delete or demote themselves (409)', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin', 'user'])
  for (const [method, body] of [['PATCH', { disabled: true }], ['PATCH', { roles: ['user'] }], ['PATCH', { roles: [] }], ['DELETE', undefined]] as const) {
    const response = await call(built.app, method, `/auth/admin/users/${admin.id}`, admin.at, body)
    t.equal(response.statusCode, 409, `${method} ${JSON.stringify(body)}`)
    t.equal(code(response), 'AUTH_ADMIN_SELF_LOCKOUT')
  }
  const stored = await built.store.findUserById(admin.id)
  t.same([stored?.roles, stored?.disabled === true], [['admin', 'user'], false], 'nothing changed')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${admin.id}`, admin.at, { roles: ['admin'] })).statusCode, 200, 'dropping another role of one\'s own is fine')
})

t.test('disable: sessions revoked, login AUTH_USER_DISABLED only with the right password, refresh refused; enable lifts it', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  t.equal((await call(built.app, 'GET', '/auth/me', target.at)).statusCode, 200)
  const disabled = await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { disabled: true })
  t.equal(disabled.statusCode, 200)
  t.equal(disabled.json<{ disabled: boolean }>().disabled, true)
  t.equal((await call(built.app, 'GET', '/auth/me', target.at)).statusCode, 401, 'the access token is revoked (this instance at once)')
  const refreshed = await refresh(built.app, target.rt)
  t.equal(refreshed.statusCode, 401, 'the revoked session does not refresh')
  const right = await login(built.app, 'target@example.com')
  t.equal(right.statusCode, 403)
  t.equal(code(right), 'AUTH_USER_DISABLED')
  t.equal(cookieOf(right), undefined, 'no session issued')
  const wrong = await login(built.app, 'target@example.com', 'not the password at all')
  t.equal(wrong.statusCode, 401, 'a wrong password answers as ever: disabled is not revealed')
  t.equal(code(wrong), 'AUTH_INVALID_CREDENTIALS')
  t.equal((await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { disabled: false })).statusCode, 200)
  t.equal((await login(built.app, 'target@example.com')).statusCode, 200, 'enabled: login works')
  const [off, on] = built.events.filter((event) => event.targetUserId === target.id)
  t.match(off, { actorId: admin.id, action: 'user.update', changes: { disabled: { from: false, to: true }, revokedSessionIds: [String] } })
  t.match(on, { actorId: admin.id, action: 'user.update', changes: { disabled: { from: true, to: false } } })
  t.type(off?.ip, 'string')
})

t.test('a session that survived the disable (a race) is refused at refresh with AUTH_USER_DISABLED and its cookie cleared', async (t) => {
  const built = await build(t)
  const target = await user(built, 'target@example.com')
  // Straight to the store: the disable without its revocation, as a login racing it would leave.
  await built.store.setUserDisabled?.(target.id, true, new Date())
  const refused = await refresh(built.app, target.rt)
  t.equal(refused.statusCode, 403)
  t.equal(code(refused), 'AUTH_USER_DISABLED')
  t.equal(cookieOf(refused)?.value, '', 'the cookie is cleared')
  t.equal((await built.store.listUserSessions(target.id, new Date(), new Date(0))).length, 0, 'and the session revoked')
})

t.test('revoke-all reaches access tokens on another instance within revocationDelay', async (t) => {
  const store = new MemorySessionStore()
  const a = await build(t, {}, store)
  const b = await build(t, { tokens: { keys: [KEY], issuer: 'authgate-test', audience: 'test', revocationDelay: '200ms' } }, store)
  const admin = await user(a, 'admin@example.com', ['admin'])
  const target = await user(a, 'target@example.com')
  t.equal((await call(b.app, 'GET', '/auth/me', target.at)).statusCode, 200, 'instance B accepts the token')
  const started = Date.now()
  t.equal((await call(a.app, 'DELETE', `/auth/admin/users/${target.id}/sessions`, admin.at)).statusCode, 204)
  t.equal((await refresh(b.app, target.rt)).statusCode, 401, 'refresh refused at once')
  let status = 200
  while (status === 200 && Date.now() - started < 3000) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    status = (await call(b.app, 'GET', '/auth/me', target.at)).statusCode
  }
  t.equal(status, 401, 'B refuses the access token')
  t.ok(Date.now() - started < 1000, `within the revocation delay and a poll (${Date.now() - started} ms)`)
  t.match(a.events.at(-1), { action: 'sessions.revoke', targetUserId: target.id, changes: { revokedSessionIds: [String] } })
  t.equal((await call(a.app, 'GET', '/auth/me', admin.at)).statusCode, 200, 'the admin\'s own session is untouched')
})

t.test('a role change reaches the access token at the next refresh', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin', 'support'])
  const target = await user(built, 'target@example.com')
  const patched = await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { roles: ['user', 'support'] })
  t.same(patched.json<{ roles: string[] }>().roles, ['user', 'support'])
  t.same(claimsOf(target.at).roles, ['user'], 'the old token keeps its roles until it expires')
  const refreshed = await refresh(built.app, target.rt)
  t.same(claimsOf(refreshed.json<{ accessToken: string }>().accessToken).roles, ['user', 'support'], 'the next one has the new roles')
  t.match(built.events.at(-1), { action: 'user.update', changes: { roles: { from: ['user'], to: ['user', 'support'] } } })
})

t.test('delete: the user is gone, login fails like an unknown user, refresh refused, the email free again', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  t.equal((await call(built.app, 'DELETE', `/auth/admin/users/${target.id}`, admin.at)).statusCode, 204)
  t.equal((await call(built.app, 'GET', `/auth/admin/users/${target.id}`, admin.at)).statusCode, 404)
  const gone = await login(built.app, 'target@example.com')
  const unknown = await login(built.app, 'never@example.com')
  t.same([gone.statusCode, gone.body], [unknown.statusCode, unknown.body], 'the same answer as an unknown email')
  t.equal((await refresh(built.app, target.rt)).statusCode, 401)
  t.equal((await call(built.app, 'GET', '/auth/me', target.at)).statusCode, 401, 'the access token is revoked')
  t.match(built.events.at(-1), { actorId: admin.id, action: 'user.delete', targetUserId: target.id, changes: { revokedSessionIds: [String] } })
  t.equal((await register(built.app, 'target@example.com')).statusCode, 201, 'the email can be registered again')
})

t.test('the user list pages without skipping or repeating; query filters; bad cursors and oversized queries are 400', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin'])
  for (let index = 0; index < 7; index++) await register(built.app, `paged-${index}@example.com`)
  const seen: string[] = []
  let cursor: string | null = null
  for (let page = 0; page < 10; page++) {
    const url: string = `/auth/admin/users?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`
    const response = await call(built.app, 'GET', url, admin.at)
    t.equal(response.statusCode, 200)
    const body = response.json<{ users: Array<{ email: string }>, nextCursor: string | null }>()
    t.ok(body.users.length <= 3)
    seen.push(...body.users.map((entry) => entry.email))
    cursor = body.nextCursor
    if (cursor === null) break
  }
  t.equal(seen.length, 8, 'every user listed')
  t.equal(new Set(seen).size, 8, 'none twice')
  const found = await call(built.app, 'GET', '/auth/admin/users?query=PAGED-3', admin.at)
  t.same(found.json<{ users: Array<{ email: string }> }>().users.map((entry) => entry.email), ['paged-3@example.com'], 'case folded substring')
  t.same((await call(built.app, 'GET', '/auth/admin/users?query=.*', admin.at)).json<{ users: unknown[] }>().users, [], 'pattern characters are text')
  for (const bad of ['x', 'AAAA', Buffer.from('[1,2,3]').toString('base64url'), Buffer.from('["1","x"]').toString('base64url'), Buffer.from('[-1,"x"]').toString('base64url'), '%00', 'a'.repeat(600)]) {
    const response = await call(built.app, 'GET', `/auth/admin/users?cursor=${bad}`, admin.at)
    t.equal(response.statusCode, 400, `cursor ${bad.slice(0, 20)}`)
    t.equal(code(response), 'AUTH_BAD_REQUEST')
  }
  t.equal((await call(built.app, 'GET', `/auth/admin/users?query=${'a'.repeat(300)}`, admin.at)).statusCode, 400, 'an oversized query')
  for (const control of ['%00', 'a%00b', '%1F', '%7F', '%0A']) {
    const response = await call(built.app, 'GET', `/auth/admin/users?query=${control}`, admin.at)
    t.equal(response.statusCode, 400, `a query holding a control character (${control})`)
    t.equal(code(response), 'AUTH_BAD_REQUEST')
  }
  t.equal((await call(built.app, 'GET', '/auth/admin/users?limit=1000', admin.at)).statusCode, 400, 'a page too large')
  t.equal((await call(built.app, 'GET', `/auth/admin/users/${admin.id}/sessions?cursor=nope!`, admin.at)).statusCode, 400, 'a bad session cursor')
})

t.test('PATCH takes only roles and disabled, strictly typed (400, nothing written)', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  const bodies: unknown[] = [
    {}, [], 'x', { roles: 'admin' }, { roles: ['a,b'] }, { roles: [1] }, { disabled: 'false' }, { disabled: 0 },
    { roles: ['user'], email: 'x@example.com' }, { passwordHash: 'x' }, { __proto__: { disabled: true } }, { roles: Array.from({ length: 200 }, (_, i) => `r${i}`) }
  ]
  for (const body of bodies) {
    const response = await built.app.inject({ method: 'PATCH', url: `/auth/admin/users/${target.id}`, headers: { ...bearer(admin.at), 'content-type': 'application/json' }, payload: JSON.stringify(body) })
    t.equal(response.statusCode, 400, `body ${JSON.stringify(body).slice(0, 40)}`)
  }
  const raw = await built.app.inject({ method: 'PATCH', url: `/auth/admin/users/${target.id}`, headers: { ...bearer(admin.at), 'content-type': 'application/json' }, payload: '{"__proto__": {"disabled": true}}' })
  t.equal(raw.statusCode, 400, 'a __proto__ member')
  // Longer than Fastify's maxParamLength (100): Fastify refuses the path itself (414), never a 500.
  t.equal((await call(built.app, 'GET', `/auth/admin/users/${'x'.repeat(300)}`, admin.at)).statusCode, 414, 'an id too long')
  const stored = await built.store.findUserById(target.id)
  t.same([stored?.roles, stored?.disabled === true], [['user'], false], 'nothing written')
  t.equal(built.events.length, 0, 'no admin action reported')
})

t.test('a store without the admin methods: refused when admin is given, left out (404) when defaulted', async (t) => {
  const old: SessionStore = new MemorySessionStore()
  for (const name of ['listUsers', 'setUserDisabled', 'setUserPassword', 'deleteUser']) Object.defineProperty(old, name, { value: undefined })
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(authgate, { store: old, admin: { roles: ['admin'] }, tokens: { keys: [KEY], issuer: 'i', audience: 'a' } }).ready() }, /admin: the store has no listUsers, setUserDisabled, setUserPassword, deleteUser/)
  const built = await build(t, {}, old)
  t.same(built.routes, [], 'no admin routes')
  const admin = await user(built, 'admin@example.com', ['admin'])
  t.equal((await call(built.app, 'GET', '/auth/admin/users', admin.at)).statusCode, 404)
  const off = await build(t, { admin: { roles: [] } })
  t.same(off.routes, [], 'admin.roles [] turns the API off')
})
