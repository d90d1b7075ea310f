// `refreshUser` (issue #11, item 3), as a unit: asked at most once per interval per session (the login counts as the
// first answer), the answer validated like verifyCredentials', another id or a throw is a 503, null is "gone";
// and the options that switch it on are checked at registration.
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { normaliseOptions, type AuthgateOptions, type RefreshUser } from '../src/options/normalise.js'
import { createUserRecheck } from '../src/sessions/user-recheck.js'
import type { SessionRecord } from '../src/stores/store.js'
import { generateKey } from '../src/keys/index.js'

const LOGIN = new Date('2026-01-01T00:00:00Z')
const session = { id: 's1', userId: 'u1', email: 'u1@example.com', roles: ['admin'], createdAt: LOGIN } as unknown as SessionRecord
const at = (ms: number): Date => new Date(LOGIN.getTime() + ms)

t.test('asked once per interval per session; the login counts as the first answer', async (t) => {
  const asked: string[] = []
  let roles = ['viewer']
  const recheck = createUserRecheck({ intervalMs: 60_000, refreshUser: async (userId, seen) => { asked.push(`${userId}/${seen.id}`); return { id: userId, roles } } })
  t.same(await recheck(session, at(30_000)), { id: 'u1', email: 'u1@example.com', roles: ['admin'] }, 'within the interval after login: the login\'s roles')
  t.same(asked, [])
  t.same(await recheck(session, at(61_000)), { id: 'u1', email: 'u1@example.com', roles: ['viewer'] }, 'then asked; the email of the session kept')
  roles = ['none']
  t.same((await recheck(session, at(100_000)))?.roles, ['viewer'], 'the latest answer stands within the interval')
  t.same((await recheck(session, at(122_000)))?.roles, ['none'])
  t.same(asked, ['u1/s1', 'u1/s1'])
})

t.test('refreshes of one session arriving together share one lookup (its answer or its failure)', async (t) => {
  const answers: Array<(user: { id: string, roles: string[] } | null) => void> = []
  const recheck = createUserRecheck({
    intervalMs: 0,
    refreshUser: async () => new Promise((resolve) => { answers.push(resolve) })
  })
  const settle = async (user: { id: string, roles: string[] } | null): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve))
    for (const answer of answers.splice(0)) answer(user)
  }
  const together = Array.from({ length: 5 }, async () => recheck(session, at(1)))
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(answers.length, 1, 'one lookup for five refreshes')
  await settle({ id: 'u1', roles: ['viewer'] })
  t.same((await Promise.all(together)).map((user) => user?.roles), Array.from({ length: 5 }, () => ['viewer']), 'all five get its answer')
  const later = [recheck(session, at(2)), recheck({ ...session, id: 's2' }, at(2))]
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(answers.length, 2, 'a settled lookup is not reused (interval 0), and another session asks on its own')
  await settle(null)
  t.same(await Promise.all(later), [null, null])
})

t.test('null is gone; a throw, a malformed user or another id is a 503', async (t) => {
  const answers: Array<RefreshUser> = [
    async () => { throw new Error('socket hang up') },
    async () => ({ id: 'u1', roles: ['bad,role'] }),
    async () => ({ id: 'someone-else' }),
    async () => ({ id: 'u1', email: 7 }) as never,
    async () => { throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 9 }) }
  ]
  for (const [index, refreshUser] of answers.entries()) {
    const recheck = createUserRecheck({ intervalMs: 0, refreshUser })
    await t.rejects(recheck(session, at(1)), { code: 'AUTH_STORE_UNAVAILABLE', statusCode: 503 }, `answer ${index}: 503`)
  }
  t.equal(await createUserRecheck({ intervalMs: 0, refreshUser: async () => null })(session, at(1)), null)
})

t.test('options: refreshUser needs verifyCredentials; the interval is bounded', async (t) => {
  const base: AuthgateOptions = { tokens: { keys: [generateKey('EdDSA')] } }
  const verifyCredentials = async (): Promise<null> => null
  const refreshUser = async (): Promise<null> => null
  t.throws(() => normaliseOptions({ ...base, refreshUser }), /refreshUser: needs verifyCredentials/)
  t.throws(() => normaliseOptions({ ...base, refreshUserInterval: '1m' }), /refreshUserInterval: needs refreshUser/)
  t.throws(() => normaliseOptions({ ...base, verifyCredentials, refreshUser: 'x' as never }), /refreshUser: must be a function/)
  t.throws(() => normaliseOptions({ ...base, verifyCredentials, refreshUser, refreshUserInterval: '2d' }), /refreshUserInterval: must be from/)
  t.equal(normaliseOptions({ ...base, verifyCredentials, refreshUser }).refreshUser?.intervalMs, 300_000, 'default 5 min')
  t.equal(normaliseOptions({ ...base, verifyCredentials, refreshUser, refreshUserInterval: 0 }).refreshUser?.intervalMs, 0)
})
