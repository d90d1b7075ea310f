// The admin methods of the store contract (listUsers, setUserDisabled, setUserPassword, deleteUser), run by
// store-contract.ts against every store. Each test keeps to users of its own email tag: a store may be shared.
import { randomUUID } from 'node:crypto'
import type { ContractTest } from './contract-test.js'
import type { StoreFactory } from './factories.js'
import { isAdminStore } from '../admin/store-support.js'
import type { SessionStore, UserRecord } from '../stores/store.js'


async function makeUsers (store: SessionStore, tag: string, count: number, createdAt: (index: number) => Date): Promise<UserRecord[]> {
  const made: UserRecord[] = []
  for (let index = 0; index < count; index++) {
    const email = `${tag}-${index}@example.com`
    made.push(await store.createUser({ id: `${tag}-${String(index).padStart(3, '0')}`, email, emailNormalized: email, passwordHash: '$argon2id$x', roles: ['user'], createdAt: createdAt(index) }))
  }
  return made
}

export function adminContract<T extends ContractTest> (t: T, factory: StoreFactory<T>): void {
  t.test('admin: listUsers pages newest first by (createdAt, id), never skipping or repeating, ties included', async (t) => {
    const store = await factory(t)
    if (!isAdminStore(store)) return t.fail('the built-in stores have the admin methods')
    const tag = `page${randomUUID().slice(0, 8)}`
    const base = Date.now() - 86_400_000
    // Groups of three share a createdAt: only the id orders them.
    const users = await makeUsers(store, tag, 11, (index) => new Date(base + Math.floor(index / 3) * 1000))
    const expected = [...users].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).map((user) => user.id)
    const seen: string[] = []
    let after: { createdAt: Date, id: string } | undefined
    for (let page = 0; page < 10; page++) {
      const found = await store.listUsers({ limit: 4, emailContains: tag, ...(after === undefined ? {} : { after }) })
      t.ok(found.length <= 4, 'at most limit')
      if (found.length === 0) break
      seen.push(...found.map((user) => user.id))
      const last = found.at(-1)
      after = last === undefined ? undefined : { createdAt: last.createdAt, id: last.id }
    }
    t.same(seen, expected, 'every user once, in order')
    t.same((await store.listUsers({ limit: 50, emailContains: `${tag}-1` })).map((user) => user.id).sort(), [`${tag}-001`, `${tag}-010`], 'a substring of the email')
    t.same(await store.listUsers({ limit: 50, emailContains: `${tag}.*` }), [], 'pattern characters match only themselves')
    // The admin API refuses these (400); a store called directly must still answer, not fail (MongoDB refuses a
    // pattern holding a NUL byte).
    for (const control of ['\u0000', `${tag}\u0000`, '\u001f', '\u007f', '\n']) {
      t.same(await store.listUsers({ limit: 50, emailContains: control }), [], `a control character (${JSON.stringify(control)}) matches nobody`)
    }
  })

  t.test('admin: setUserDisabled and setUserPassword change the user and updatedAt; false for an unknown id', async (t) => {
    const store = await factory(t)
    if (!isAdminStore(store)) return t.fail('no admin methods')
    const tag = `dis${randomUUID().slice(0, 8)}`
    const [user] = await makeUsers(store, tag, 1, () => new Date(Date.now() - 60_000))
    if (user === undefined) return
    const now = new Date(Date.now() + 5000)
    t.equal(await store.setUserDisabled(user.id, true, now), true)
    let stored = await store.findUserById(user.id)
    t.equal(stored?.disabled, true)
    t.equal(stored?.updatedAt.getTime(), now.getTime())
    t.equal(await store.setUserDisabled(user.id, false, now), true)
    t.equal((await store.findUserById(user.id))?.disabled, false, 'lifted')
    const later = new Date(now.getTime() + 1000)
    t.equal(await store.setUserPassword(user.id, '$argon2id$new', later), true)
    stored = await store.findUserById(user.id)
    t.equal(stored?.passwordHash, '$argon2id$new')
    t.equal(stored?.updatedAt.getTime(), later.getTime())
    t.equal(stored?.roles.join(), 'user', 'nothing else changed')
    t.equal(await store.setUserDisabled('no-such-user', true, now), false)
    t.equal(await store.setUserPassword('no-such-user', '$argon2id$x', now), false)
  })

  t.test('admin: deleteUser removes the user, their email key, devices and networks; false for an unknown id', async (t) => {
    const store = await factory(t)
    if (!isAdminStore(store)) return t.fail('no admin methods')
    const tag = `del${randomUUID().slice(0, 8)}`
    const [user, other] = await makeUsers(store, tag, 2, () => new Date())
    if (user === undefined || other === undefined) return
    const now = new Date()
    for (const who of [user, other]) await store.recordDevice({ userId: who.id, deviceId: 'd1', userAgent: 'ua', ip: '127.0.0.1', now })
    if (store.recordNetwork !== undefined) {
      for (const ip of ['10.0.0.1', '10.9.0.1']) await store.recordNetwork({ userId: user.id, network: `${ip}/32`, ip, now, memoryMs: 86_400_000, maxNetworks: 10 })
    }
    t.equal(await store.deleteUser(user.id), true)
    t.equal(await store.findUserById(user.id), null)
    t.equal(await store.findUserByEmail(user.emailNormalized), null, 'the email is free again')
    t.same(await store.listDevices(user.id), [], 'devices dropped')
    if (store.findNetworks !== undefined) t.equal(await store.findNetworks(user.id), null, 'networks dropped')
    t.equal((await store.listDevices(other.id)).length, 1, 'another user keeps theirs')
    t.equal(await store.deleteUser(user.id), false, 'a second delete finds nobody')
    const again = await store.createUser({ ...user, createdAt: new Date() })
    t.equal(again.id, user.id, 'the email can be registered again')
  })

  t.test('admin: deleteUser clears what the user\'s revoked sessions say about them; other users\' sessions keep theirs', async (t) => {
    const store = await factory(t)
    if (!isAdminStore(store)) return t.fail('no admin methods')
    const tag = `pii${randomUUID().slice(0, 8)}`
    const [user, other] = await makeUsers(store, tag, 2, () => new Date())
    if (user === undefined || other === undefined) return
    // Reached later by its retired hash (findByPreviousHash returns revoked sessions too: reuse detection).
    const retired: string[] = []
    for (const who of [user, other]) {
      const now = new Date()
      const id = randomUUID()
      const first = randomUUID().replaceAll('-', '').padEnd(64, '0')
      await store.createSession({ id, userId: who.id, familyId: id, tokenHash: first, roles: ['user'], email: who.email, device: 'd1', ip: '10.1.1.1', userAgent: 'ua', createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000) })
      await store.rotateSession({ currentHash: first, nextHash: randomUUID().replaceAll('-', '').padEnd(64, '1'), now, idleSince: new Date(0), ip: '10.1.1.2', userAgent: 'ua2', grace: { hash: first, retiredAt: now, sealed: 'sealed' } })
      retired.push(first)
    }
    await store.revokeUserSessions(user.id, new Date())
    t.equal(await store.deleteUser(user.id), true)
    t.match(await store.findByPreviousHash(retired[0] ?? ''), { userId: user.id, email: null, ip: '', userAgent: '' }, 'the deleted user\'s session kept no personal data')
    t.match(await store.findByPreviousHash(retired[1] ?? ''), { userId: other.id, email: other.email, ip: '10.1.1.2', userAgent: 'ua2' }, 'another user\'s untouched')
  })
}
