import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { MemorySessionStore } from '../src/stores/memory.js'
import { storeContract } from './store-contract.js'

storeContract(t, async () => new MemorySessionStore())

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
