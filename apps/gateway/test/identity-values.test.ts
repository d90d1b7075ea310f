// Identity values and headers (issue #11, item 12): what the gateway can forward unchanged, the reasons it gives,
// and the legacy mapping that refuses (503) or drops (roles) what it cannot — every spelling of the class.
import t from 'tap'
import { AuthError } from '@authgate/fastify'
import { isForwardableId, isForwardableRole, unforwardableReason } from '../src/identity-values.js'
import { identityFlagError } from '../src/cli/user-identity.js'
import { mapLegacyUser } from '@authgate/fastify/proxy'

const BAD_IDS = ['', '用户', 'caf\u00e9', 'a,b', 'x\r\ny', 'x\ny', 'x\u0000y', 'x\u007fy', 'tab\tid', ' lead', 'trail ', 'x'.repeat(257), 'zero\u200bwidth', 'emoji\u{1f600}']
const GOOD_IDS = ['7', 'legacy-7', 'user 42', 'a'.repeat(256), 'x@example.com', 'DOMAIN\\user', '{"weird":true}']
const BAD_ROLES = ['', 'админ', 'ops\u200b', 'a,b', 'ad min', 'x\r\n', 'r'.repeat(129), 'caf\u00e9']

t.test('ids and roles: printable ASCII, no commas, bounded', async (t) => {
  for (const id of BAD_IDS) t.notOk(isForwardableId(id), `id ${JSON.stringify(id.slice(0, 20))} refused`)
  for (const id of GOOD_IDS) t.ok(isForwardableId(id), `id ${JSON.stringify(id.slice(0, 20))} forwarded`)
  for (const role of BAD_ROLES) t.notOk(isForwardableRole(role), `role ${JSON.stringify(role.slice(0, 20))} refused`)
  t.notOk(isForwardableId(7), 'not a string')
  t.equal(unforwardableReason({ sub: 'u1', sid: 's1', roles: ['admin', 'ops'] }), undefined)
  t.equal(unforwardableReason({ sub: '用户', sid: 's1', roles: [] }), 'user id')
  t.equal(unforwardableReason({ sub: 'u1', sid: 's\n1', roles: [] }), 'session id')
  t.equal(unforwardableReason({ sub: 'u1', sid: 's1', roles: ['админ'] }), 'role name')
  t.equal(unforwardableReason({ sub: 'u1', sid: 's1', roles: Array.from({ length: 40 }, () => 'r'.repeat(110)) }), 'roles (too long)')
})

t.test('the CLI flags say what is wrong', async (t) => {
  for (const id of BAD_IDS.filter((value) => value !== '')) t.match(identityFlagError(id, []), /--sub/)
  for (const role of BAD_ROLES.filter((value) => value !== '')) t.match(identityFlagError(undefined, [role]), /--roles/)
  t.match(identityFlagError(undefined, Array.from({ length: 40 }, () => 'r'.repeat(110))), /more than 4096/)
  t.match(identityFlagError('u1', [], 'sid,2'), /--sid/)
  t.equal(identityFlagError('u 1', ['admin', 'ops'], 'cli-1'), undefined)
})

t.test('the legacy mapping refuses an id headers cannot carry (503, logged) and drops such roles', async (t) => {
  const logged: Array<Record<string, unknown>> = []
  const logger = { warn: (object: Record<string, unknown>) => { logged.push(object) } }
  const map = { id: 'user.id', roles: 'user.roles', email: undefined }
  for (const id of BAD_IDS.filter((value) => value !== '')) {
    const error = ((): unknown => { try { return mapLegacyUser({ user: { id } }, map, 'a@example.com', logger) } catch (caught) { return caught } })()
    t.ok(error instanceof AuthError && error.statusCode === 503 && /user id/.test(error.message), `id ${JSON.stringify(id.slice(0, 20))}: 503 naming the field`)
  }
  t.ok(logged.every((entry) => entry.event === 'legacy_user_unforwardable' && !('id' in entry)), 'logged, without the value')
  t.equal(mapLegacyUser({ user: {} }, map, 'a@example.com'), null, 'no id: not a user')
  t.same(mapLegacyUser({ user: { id: 42, roles: ['admin', ...BAD_ROLES, 7] } }, map, 'a@example.com', logger), { id: '42', email: 'a@example.com', roles: ['admin'] })
  t.match(logged.at(-1), { event: 'legacy_roles_dropped', dropped: BAD_ROLES.length + 1 })
  const long = ((): unknown => { try { return mapLegacyUser({ user: { id: 'u', roles: Array.from({ length: 40 }, () => 'r'.repeat(110)) } }, map, 'a@example.com') } catch (caught) { return caught } })()
  t.ok(long instanceof AuthError && long.statusCode === 503 && /role list/.test(long.message), 'over-long roles: 503 naming the field')
})

t.test('a route cannot require a role that no forwardable token can carry', async (t) => {
  const { parseConfig } = await import('../src/config.js')
  for (const role of ['админ', 'caf\u00e9', 'ops\u200b', 'r'.repeat(129)]) {
    t.throws(() => parseConfig({ tokens: { keysDir: './k' }, routes: [{ prefix: '/admin', upstream: 'http://127.0.0.1:1', roles: [role] }] }), /routes\[0\]\.roles\[0\]: (.*headers can carry|must be a role name)/)
  }
})
