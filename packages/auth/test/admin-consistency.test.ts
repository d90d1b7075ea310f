// The admin API when things go wrong halfway or race each other: a disable whose revocation failed and is retried,
// a delete that failed after revoking, a login racing a disable or delete, a disabled or deleted admin's live token,
// and the OIDC links a delete must not leave behind. Faults come from a store wrapper, never a mock of the database.
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { NewSession, SessionRecord } from '../src/stores/store.js'
import { cookieOf, login, refresh } from './helpers/app.js'
import { build, call, code, KEY, user } from './helpers/admin-app.js'
import { goodClaims, signedWith } from './helpers/keys.js'

/** A memory store whose next calls of some methods fail (as a database that went away would), or run a hook first. */
class FaultyStore extends MemorySessionStore {
  failRevokes = 0
  failDeletes = 0
  /** Runs before a session is created: what an admin does between a login's password check and its session. */
  beforeCreate: ((session: NewSession) => Promise<void>) | undefined

  override async revokeUserSessions (userId: string, now: Date, exceptId?: string): Promise<string[]> {
    if (this.failRevokes > 0) { this.failRevokes--; throw new AuthError('AUTH_STORE_UNAVAILABLE') }
    return super.revokeUserSessions(userId, now, exceptId)
  }

  override async deleteUser (id: string): Promise<boolean> {
    if (this.failDeletes > 0) { this.failDeletes--; throw new AuthError('AUTH_STORE_UNAVAILABLE') }
    return super.deleteUser(id)
  }

  override async createSession (session: NewSession): Promise<SessionRecord> {
    const hook = this.beforeCreate
    this.beforeCreate = undefined
    await hook?.(session)
    return super.createSession(session)
  }
}

const live = async (store: MemorySessionStore, id: string): Promise<number> => (await store.listUserSessions(id, new Date(), new Date(0))).length

t.test('a disable whose revocation failed: reported as far as it got, and a retry revokes', async (t) => {
  const store = new FaultyStore()
  const built = await build(t, {}, store)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  store.failRevokes = 1
  const failed = await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { disabled: true })
  t.equal(failed.statusCode, 503, 'the store failure is answered')
  t.equal((await store.findUserById(target.id))?.disabled, true, 'the disable itself was written')
  t.equal(await live(store, target.id), 1, 'the session survived the failed revocation')
  t.match(built.events.at(-1), { action: 'user.update', targetUserId: target.id, changes: { disabled: { from: false, to: true }, incomplete: true } }, 'the part done is reported')
  t.equal(built.events.at(-1)?.changes.revokedSessionIds, undefined, 'and not the part that failed')

  const retried = await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, admin.at, { disabled: true })
  t.equal(retried.statusCode, 200)
  t.equal(await live(store, target.id), 0, 'the retried disable of a disabled user revoked the session')
  t.match(built.events.at(-1), { action: 'user.update', changes: { revokedSessionIds: [String] } })
  t.equal(built.events.at(-1)?.changes.incomplete, undefined)
  t.equal((await refresh(built.app, target.rt)).statusCode, 401)
})

t.test('a delete that failed after revoking: reported, and a retry finds the user and finishes', async (t) => {
  const store = new FaultyStore()
  const built = await build(t, {}, store)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  store.failDeletes = 1
  t.equal((await call(built.app, 'DELETE', `/auth/admin/users/${target.id}`, admin.at)).statusCode, 503)
  t.equal(await live(store, target.id), 0, 'the sessions were revoked first')
  t.match(built.events.at(-1), { action: 'user.delete', changes: { revokedSessionIds: [String], incomplete: true } }, 'the revocation is on record')
  t.not(await store.findUserById(target.id), null, 'the user is still there')
  t.equal((await call(built.app, 'DELETE', `/auth/admin/users/${target.id}`, admin.at)).statusCode, 204, 'the retry finishes')
  t.equal(await store.findUserById(target.id), null)
  t.match(built.events.at(-1), { action: 'user.delete', changes: { revokedSessionIds: [] } })
})

t.test('a delete removes the user\'s OIDC links', async (t) => {
  const store = new MemorySessionStore()
  const built = await build(t, {}, store)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  const identities = store.oidcStore()
  await identities.linkIdentity({ provider: 'idp', subject: 'alice', userId: target.id, createdAt: new Date() })
  t.equal((await call(built.app, 'DELETE', `/auth/admin/users/${target.id}`, admin.at)).statusCode, 204)
  t.equal(await identities.findIdentity('idp', 'alice'), null, 'the link went with the user')
})

t.test('a login racing a disable or a delete: its session is revoked and the login refused', async (t) => {
  const store = new FaultyStore()
  const built = await build(t, {}, store)
  const target = await user(built, 'target@example.com')
  const before = await live(store, target.id)
  // The admin's disable (and its revocation) lands after the password check, before this login's session exists.
  store.beforeCreate = async (session) => { await store.setUserDisabled(session.userId, true, new Date()) }
  const disabled = await login(built.app, 'target@example.com')
  t.equal(disabled.statusCode, 403)
  t.equal(code(disabled), 'AUTH_USER_DISABLED')
  t.equal(cookieOf(disabled), undefined, 'no refresh cookie')
  t.equal(await live(store, target.id), before, 'the session made meanwhile is revoked')

  await store.setUserDisabled(target.id, false, new Date())
  const left = await live(store, target.id)
  store.beforeCreate = async (session) => { await store.deleteUser(session.userId) }
  const gone = await login(built.app, 'target@example.com')
  t.equal(gone.statusCode, 401, 'a user deleted meanwhile')
  t.equal(code(gone), 'AUTH_INVALID_CREDENTIALS')
  t.equal(cookieOf(gone), undefined)
  t.equal(await live(store, target.id), left, 'and its session revoked too')
})

t.test('a disabled or deleted admin\'s still-valid token is refused (403), whatever it claims', async (t) => {
  const store = new MemorySessionStore()
  const built = await build(t, {}, store)
  const disabled = await user(built, 'disabled@example.com', ['admin'])
  const deleted = await user(built, 'deleted@example.com', ['admin'])
  const target = await user(built, 'target@example.com')
  // Straight to the store, without the revocation: the token stays valid, as on an instance that has not polled yet.
  await store.setUserDisabled(disabled.id, true, new Date())
  await store.deleteUser(deleted.id)
  for (const [who, token] of [['disabled', disabled.at], ['deleted', deleted.at]] as const) {
    t.equal((await call(built.app, 'GET', '/auth/me', token)).statusCode, 200, `the ${who} admin's token still verifies`)
    const refused = await call(built.app, 'PATCH', `/auth/admin/users/${target.id}`, token, { disabled: true })
    t.equal(refused.statusCode, 403, `${who} admin`)
    t.equal(code(refused), 'AUTH_FORBIDDEN')
  }
  t.equal((await store.findUserById(target.id))?.disabled, undefined, 'the target untouched')
})

t.test('an access token of ours with an empty sid is no admin\'s', async (t) => {
  const built = await build(t)
  const admin = await user(built, 'admin@example.com', ['admin'])
  const token = signedWith(KEY, goodClaims({ sub: admin.id, sid: '', roles: ['admin'], iss: 'authgate-test', aud: 'test' }))
  const response = await call(built.app, 'GET', '/auth/admin/users', token)
  // The verifier refuses it before the admin guard (a session id is required of our tokens); never a 200.
  t.equal(response.statusCode, 401)
  t.equal(code(response), 'AUTH_TOKEN_INVALID')
})
