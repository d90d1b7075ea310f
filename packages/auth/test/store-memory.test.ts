import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { MemorySessionStore } from '../src/stores/memory.js'
import { MemoryOidcStore } from '../src/stores/oidc.js'
import type { SessionStore } from '../src/stores/store.js'
import { storeContract } from '../src/testing.js'

storeContract(t, async () => new MemorySessionStore(), async (_t, limits) => new MemoryOidcStore(limits))

/** The memory store as a store without OIDC support would be: every method but oidcStore(), bound to the store. */
function withoutOidc (store: MemorySessionStore): SessionStore {
  return new Proxy(store, {
    get: (target, key) => {
      if (key === 'oidcStore') return undefined
      const value: unknown = Reflect.get(target, key, target)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
    has: (target, key) => key !== 'oidcStore' && Reflect.has(target, key)
  })
}

// A store of your own need not hold OIDC identities: without an OIDC factory the contract leaves that part out (and
// checks the store indeed has no oidcStore(), so a store that has one cannot skip it by omission).
t.test('the contract without an OIDC factory, on a store without oidcStore()', async (t) => {
  storeContract(t, async () => withoutOidc(new MemorySessionStore()))
})

// The memory store copies sessions field by field (structuredClone bounded the refresh rate, issue #18): whatever a
// caller does to a session it was handed, and whatever it does to the input it rotated with, the store's own record
// stays as it was.
t.test('memory store: a session handed out or rotated in shares no mutable state with the store', async (t) => {
  const store = new MemorySessionStore()
  const hash = (): string => createHash('sha256').update(randomBytes(32)).digest('hex')
  const now = new Date()
  const later = new Date(now.getTime() + 1000)
  const idleSince = new Date(now.getTime() - 60_000)
  const first = hash()
  const created = await store.createSession({
    id: 's1', userId: 'u1', familyId: 's1', tokenHash: first, roles: ['user'], email: 'a@example.com', device: 'd1',
    ip: '127.0.0.1', userAgent: 'ua', createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000)
  })
  created.roles.push('admin')
  created.expiresAt.setTime(0)
  const next = hash()
  const grace = { hash: first, retiredAt: new Date(later.getTime()), sealed: 'sealed' }
  const rotated = (await store.rotateSession({ currentHash: first, nextHash: next, now: later, idleSince, ip: '10.0.0.1', userAgent: 'ua2', grace }))!
  t.ok(rotated, 'the stored expiry was not moved by the caller: the session is still live')
  grace.retiredAt.setTime(0)
  grace.sealed = 'changed by the caller'
  rotated.previousHashes.push('forged')
  rotated.grace!.retiredAt.setTime(0)
  rotated.lastUsedAt.setTime(0)
  rotated.createdAt.setTime(0)
  const read = (await store.findByTokenHash(next, later, idleSince))!
  t.same(read.roles, ['user'])
  t.same(read.previousHashes, [first])
  t.same(read.grace, { hash: first, retiredAt: later, sealed: 'sealed' })
  t.equal(read.lastUsedAt.getTime(), later.getTime())
  t.equal(read.createdAt.getTime(), now.getTime())
  t.equal(read.revokedAt, null)
  t.not(read.grace, rotated.grace)
  const revoked = (await store.revokeByTokenHash(next, later))!
  revoked.revokedAt!.setTime(0)
  t.equal((await store.findByPreviousHash(first))?.revokedAt?.getTime(), later.getTime())
})

t.test('memory store: the Dates a caller passes in (rotation and revocation instants) are copied, not kept', async (t) => {
  const store = new MemorySessionStore()
  const hash = (): string => createHash('sha256').update(randomBytes(32)).digest('hex')
  const start = new Date()
  const idleSince = new Date(start.getTime() - 60_000)
  const first = hash()
  await store.createSession({
    id: 's1', userId: 'u1', familyId: 's1', tokenHash: first, roles: ['user'], email: null, device: null,
    ip: '127.0.0.1', userAgent: 'ua', createdAt: start, lastUsedAt: start, expiresAt: new Date(start.getTime() + 86_400_000)
  })
  const rotatedAt = new Date(start.getTime() + 1000)
  const next = hash()
  await store.rotateSession({ currentHash: first, nextHash: next, now: rotatedAt, idleSince, ip: '127.0.0.1', userAgent: 'ua', grace: { hash: first, retiredAt: rotatedAt, sealed: 's' } })
  rotatedAt.setTime(0)
  t.equal((await store.findByTokenHash(next, start, idleSince))?.lastUsedAt.getTime(), start.getTime() + 1000, 'lastUsedAt kept its own copy')
  const revokedAt = new Date(start.getTime() + 2000)
  await store.revokeByTokenHash(next, revokedAt)
  revokedAt.setTime(0)
  t.equal((await store.findByPreviousHash(first))?.revokedAt?.getTime(), start.getTime() + 2000, 'revokedAt kept its own copy')
  const listed = await store.listRevokedSince(new Date(0))
  listed[0]?.revokedAt.setTime(1)
  t.equal((await store.listRevokedSince(new Date(0)))[0]?.revokedAt.getTime(), start.getTime() + 2000, 'listRevokedSince hands out copies')
})
