// The store contract of password reset and email verification (store-contract.ts runs it on both stores).
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { ContractTest } from './contract-test.js'
import type { StoreFactory } from './factories.js'
import type { OneTimeTokenRecord, SessionStore } from '../stores/store.js'
import { addUser } from '../users/add-user.js'

const MINUTE = 60_000
const TOKEN_METHODS = ['createOneTimeToken', 'consumeOneTimeToken', 'deleteOneTimeTokens'] as const
const USER_METHODS = ['setUserPassword', 'setEmailVerified'] as const

/** Whether `store` has the optional methods `names` (stores written before them may lack them). */
function has<K extends keyof SessionStore> (store: SessionStore, names: readonly K[]): store is SessionStore & Required<Pick<SessionStore, K>> {
  return names.every((name) => typeof store[name] === 'function')
}

function token (userId: string, overrides: Partial<OneTimeTokenRecord> = {}): OneTimeTokenRecord {
  const now = new Date()
  return {
    hash: createHash('sha256').update(randomBytes(32)).digest('hex'), purpose: 'passwordReset', userId, email: `${userId}@example.com`,
    createdAt: now, expiresAt: new Date(now.getTime() + 15 * MINUTE), ...overrides
  }
}

export function oneTimeContract<T extends ContractTest> (t: T, factory: StoreFactory<T>): void {
  t.test('one-time tokens: consumed once, for their purpose only, never after expiry', async (t) => {
    const store = await factory(t)
    if (!has(store, TOKEN_METHODS)) return t.fail('the built-in stores keep one-time tokens')
    const user = randomUUID()
    const issued = token(user)
    await store.createOneTimeToken(issued)
    const now = new Date()
    t.equal(await store.consumeOneTimeToken(issued.hash, 'emailVerification', now), null, 'another purpose finds nothing')
    t.match(await store.consumeOneTimeToken(issued.hash, 'passwordReset', now), { hash: issued.hash, purpose: 'passwordReset', userId: user, email: issued.email, expiresAt: issued.expiresAt })
    t.equal(await store.consumeOneTimeToken(issued.hash, 'passwordReset', now), null, 'a second use finds nothing')
    const expired = token(user, { expiresAt: new Date(now.getTime() - 1) })
    await store.createOneTimeToken(expired)
    t.equal(await store.consumeOneTimeToken(expired.hash, 'passwordReset', now), null, 'an expired token is filtered, its document present or not')
    t.equal(await store.consumeOneTimeToken(token(user).hash, 'passwordReset', now), null, 'an unknown hash')
  })

  t.test('one-time tokens: 20 concurrent consumers of one token, exactly one gets it', async (t) => {
    const store = await factory(t)
    if (!has(store, TOKEN_METHODS)) return t.fail('the built-in stores keep one-time tokens')
    const issued = token(randomUUID())
    await store.createOneTimeToken(issued)
    const results = await Promise.all(Array.from({ length: 20 }, async () => store.consumeOneTimeToken(issued.hash, 'passwordReset', new Date())))
    t.equal(results.filter((result) => result !== null).length, 1)
  })

  t.test('one-time tokens: deleteOneTimeTokens voids one user\'s tokens of one purpose only', async (t) => {
    const store = await factory(t)
    if (!has(store, TOKEN_METHODS)) return t.fail('the built-in stores keep one-time tokens')
    const user = randomUUID()
    const other = randomUUID()
    const resets = [token(user), token(user)]
    const verification = token(user, { purpose: 'emailVerification' })
    const others = token(other)
    for (const issued of [...resets, verification, others]) await store.createOneTimeToken(issued)
    t.equal(await store.deleteOneTimeTokens(user, 'passwordReset'), 2)
    const now = new Date()
    for (const issued of resets) t.equal(await store.consumeOneTimeToken(issued.hash, 'passwordReset', now), null)
    t.ok(await store.consumeOneTimeToken(verification.hash, 'emailVerification', now), 'the verification token stays')
    t.ok(await store.consumeOneTimeToken(others.hash, 'passwordReset', now), 'another user\'s token stays')
  })

  t.test('users: setUserPassword and setEmailVerified (only while the email is the one given)', async (t) => {
    const store = await factory(t)
    if (!has(store, USER_METHODS)) return t.fail('the built-in stores change passwords and verify emails')
    const user = await addUser(store, { email: `pw-${randomUUID()}@example.com`, password: 'correct horse battery staple' })
    t.notOk(user.emailVerified, 'absent at registration')
    const later = new Date(user.updatedAt.getTime() + 1000)
    t.equal(await store.setUserPassword(user.id, '$argon2id$new', later), true)
    const changed = await store.findUserById(user.id)
    t.equal(changed?.passwordHash, '$argon2id$new')
    t.equal(changed?.updatedAt.getTime(), later.getTime(), 'updatedAt set')
    t.equal(await store.setUserPassword(randomUUID(), '$argon2id$x', later), false, 'no such user')
    t.equal(await store.setEmailVerified(user.id, 'someone-else@example.com', later), false, 'another email')
    t.notOk((await store.findUserById(user.id))?.emailVerified)
    t.equal(await store.setEmailVerified(user.id, user.emailNormalized, later), true)
    t.equal((await store.findUserById(user.id))?.emailVerified, true)
  })
}
