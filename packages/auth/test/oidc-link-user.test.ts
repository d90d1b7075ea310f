// userForIdentity when the store's createUser wrote the user but its answer was lost (a timeout after the write):
// the link stays and the sign-in uses the user, instead of orphaning it (issue #14 item 2, second review, 3).
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { NewUser, UserRecord } from '../src/stores/store.js'
import { MemoryOidcStore, type ExternalIdentity } from '../src/stores/oidc.js'
import { userForIdentity } from '../src/oidc/link-user.js'
import type { NormalisedOidcProvider } from '../src/oidc/options.js'

class LostAnswerStore extends MemorySessionStore {
  override async createUser (user: NewUser): Promise<UserRecord> {
    await super.createUser(user)
    throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5, cause: new Error('no answer within the deadline') })
  }
}

const provider = { name: 'alpha', claims: { email: 'email', emailVerified: 'email_verified' } } as unknown as NormalisedOidcProvider

t.test('a user written without an answer is kept and signed in, with its link', async (t) => {
  const store = new LostAnswerStore()
  const identities = store.oidcStore()
  const context = { store, identities, linkByVerifiedEmail: false, defaultRoles: ['user'] }
  const user = await userForIdentity(context, provider, { sub: 'lost-answer' })
  t.ok(await store.findUserById(user.id), 'the user exists')
  t.equal((await identities.findIdentity('alpha', 'lost-answer'))?.userId, user.id, 'its link stands')
  t.equal((await userForIdentity(context, provider, { sub: 'lost-answer' })).id, user.id, 'the next sign-in is the same user')
})

// A provider's verified email joins an account only when that provider has bound no other subject to it (issue #14
// item 2, third review, 1): providers recycle addresses, and the new holder is not the account's owner.
const emailClaims = { email: ['email'], emailVerified: ['email_verified'], name: ['name'] }
const alpha = { name: 'alpha', claims: emailClaims } as unknown as NormalisedOidcProvider
const beta = { name: 'beta', claims: emailClaims } as unknown as NormalisedOidcProvider
class WatchedLinks extends MemoryOidcStore {
  readonly linkedTo: string[] = []
  override linkIdentity (identity: ExternalIdentity): Promise<boolean> {
    this.linkedTo.push(identity.userId)
    return super.linkIdentity(identity)
  }
}
const verified = (sub: string, email = 'ann@example.com') => ({ sub, email, email_verified: true })

t.test('a recycled verified email never joins the account another subject of the same provider holds', async (t) => {
  const store = new MemorySessionStore()
  const identities = new WatchedLinks()
  const context = { store, identities, linkByVerifiedEmail: true, defaultRoles: ['user'] }
  const owner = await userForIdentity(context, alpha, verified('leaver'))
  t.equal(owner.email, 'ann@example.com')
  // The binding exists already, so the newcomer is refused before it links anywhere: a link to the owner's account,
  // however briefly, would let a parallel callback of the new subject find it and enter that account. (Joins racing
  // each other are settled by claimJoin, also before any link: see the race tests below.)
  const linkedTo = identities.linkedTo
  linkedTo.length = 0
  const newcomer = await userForIdentity(context, alpha, verified('new-hire'))
  t.not(newcomer.id, owner.id, 'a new account, not the earlier holder\'s')
  t.same(linkedTo, [newcomer.id], 'never linked to the earlier holder\'s account, even briefly')
  t.equal(newcomer.email, null, 'without the address the earlier account holds')
  t.equal((await identities.findIdentity('alpha', 'new-hire'))?.userId, newcomer.id, 'linked to its own account')
  t.equal((await userForIdentity(context, alpha, verified('leaver'))).id, owner.id, 'the earlier subject keeps its account')
  t.equal((await userForIdentity(context, alpha, verified('new-hire'))).id, newcomer.id, 'and the new one keeps its own')
  // Another provider's subject is still joined (linkByVerifiedEmail's purpose); from then on it holds that provider's place.
  t.equal((await userForIdentity(context, beta, verified('ann-at-beta'))).id, owner.id, 'another provider still joins')
  t.not((await userForIdentity(context, beta, verified('other-at-beta'))).id, owner.id, 'but only its first subject')
})

t.test('an account bound by a link (not made by the provider) is refused to its other subjects too', async (t) => {
  const store = new MemorySessionStore()
  const identities = store.oidcStore()
  const context = { store, identities, linkByVerifiedEmail: true, defaultRoles: ['user'] }
  const made = await userForIdentity(context, beta, verified('ann-at-beta'))
  t.equal((await userForIdentity(context, alpha, verified('ann-at-alpha'))).id, made.id, 'alpha\'s first subject joins')
  t.not((await userForIdentity(context, alpha, verified('recycled'))).id, made.id, 'alpha\'s second does not')
})

t.test('two subjects of one provider joining one account at once: exactly one join stands', async (t) => {
  for (let round = 0; round < 20; round++) {
    const store = new MemorySessionStore()
    const identities = store.oidcStore()
    const context = { store, identities, linkByVerifiedEmail: true, defaultRoles: ['user'] }
    const owner = await userForIdentity(context, beta, verified('owner-at-beta'))
    const [first, second] = await Promise.all([userForIdentity(context, alpha, verified('one')), userForIdentity(context, alpha, verified('two'))])
    t.equal([first.id, second.id].filter((id) => id === owner.id).length, 1, `round ${round}: exactly one joined`)
    for (const [subject, user] of [['one', first], ['two', second]] as const) {
      t.equal((await identities.findIdentity('alpha', subject))?.userId, user.id, `round ${round}: ${subject} linked to the account it got`)
    }
    t.equal([await identities.hasIdentity('alpha', owner.id, 'one'), await identities.hasIdentity('alpha', owner.id, 'two')].filter(Boolean).length, 1,
      `round ${round}: alpha binds the account to exactly one subject`)
  }
})

/** Records every account a sign-in of `subject` got (a session would be issued in each). */
async function signIns (context: Parameters<typeof userForIdentity>[0], subject: string, count: number): Promise<string[]> {
  const users = await Promise.all(Array.from({ length: count }, () => userForIdentity(context, alpha, verified(subject))))
  return users.map((user) => user.id)
}

t.test('parallel callbacks of racing subjects: no session in an account the subject\'s final link does not name', async (t) => {
  for (let round = 0; round < 20; round++) {
    const store = new MemorySessionStore()
    const identities = store.oidcStore()
    const context = { store, identities, linkByVerifiedEmail: true, defaultRoles: ['user'] }
    const owner = await userForIdentity(context, beta, verified('owner-at-beta'))
    const got = await Promise.all([signIns(context, 'one', 3), signIns(context, 'two', 3)])
    let joined = 0
    for (const [index, subject] of (['one', 'two'] as const).entries()) {
      const final = (await identities.findIdentity('alpha', subject))?.userId
      t.same(got[index], [final, final, final], `round ${round}: every sign-in of ${subject} is in the account its link names`)
      if (final === owner.id) joined++
    }
    t.equal(joined, 1, `round ${round}: exactly one subject joined`)
  }
})

t.test('a join claimed but never linked (the winner crashed): its subject joins at its next sign-in, another subject gets its own account', async (t) => {
  const store = new MemorySessionStore()
  const identities = store.oidcStore()
  const context = { store, identities, linkByVerifiedEmail: true, defaultRoles: ['user'] }
  const owner = await userForIdentity(context, beta, verified('owner-at-beta'))
  t.equal(await identities.claimJoin('alpha', owner.id, 'crashed', new Date()), true, 'claimed, then no link (a crash)')
  t.not((await userForIdentity(context, alpha, verified('other'))).id, owner.id, 'another subject racing within the claim gets its own account')
  t.equal((await userForIdentity(context, alpha, verified('crashed'))).id, owner.id, 'the winner\'s next sign-in joins')
  t.equal((await identities.findIdentity('alpha', 'crashed'))?.userId, owner.id)
})

t.test('a join claim that cannot be decided fails the sign-in (503) and links nothing; a retry joins', async (t) => {
  const store = new MemorySessionStore()
  class UndecidedOnce extends WatchedLinks {
    undecided = true
    override claimJoin (provider: string, userId: string, subject: string, now: Date): Promise<boolean> {
      if (!this.undecided) return super.claimJoin(provider, userId, subject, now)
      this.undecided = false
      return Promise.reject(new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: 5, cause: new Error('every attempt lost') }))
    }
  }
  const identities = new UndecidedOnce()
  const context = { store, identities, linkByVerifiedEmail: true, defaultRoles: ['user'] }
  const owner = await userForIdentity(context, beta, verified('owner-at-beta'))
  identities.linkedTo.length = 0
  await t.rejects(userForIdentity(context, alpha, verified('joiner')), { code: 'AUTH_STORE_UNAVAILABLE', statusCode: 503 }, 'the sign-in answers 503')
  t.same(identities.linkedTo, [], 'no link was even tried')
  t.equal(await identities.findIdentity('alpha', 'joiner'), null, 'no identity link afterwards')
  t.equal((await userForIdentity(context, alpha, verified('joiner'))).id, owner.id, 'the retry joins the account')
  t.equal((await identities.findIdentity('alpha', 'joiner'))?.userId, owner.id)
})

t.test('a provider-verified email is stored verified and signed in as such; an unverified one is not', async (t) => {
  const store = new MemorySessionStore()
  const context = { store, identities: new MemoryOidcStore(), linkByVerifiedEmail: true, defaultRoles: ['user'] }
  const made = await userForIdentity(context, alpha, verified('made', 'made@example.com'))
  t.equal(made.emailVerified, true, 'the session user says verified')
  t.equal((await store.findUserById(made.id))?.emailVerified, true, 'and so does the stored account')
  const unverified = await userForIdentity(context, alpha, { sub: 'unverified', email: 'other@example.com', email_verified: false })
  t.equal(unverified.emailVerified, false)
  // An account without a password joined by a provider's verified email gets that email marked verified.
  await store.createUser({ id: 'joinable', email: 'join@example.com', emailNormalized: 'join@example.com', roles: [] })
  const joined = await userForIdentity(context, beta, verified('joiner', 'join@example.com'))
  t.equal(joined.id, 'joinable')
  t.equal(joined.emailVerified, true)
  t.equal((await store.findUserById('joinable'))?.emailVerified, true)
})

// An admin's disable (issue #15 item 3) stands against the provider too: a linked, disabled user gets no session.
t.test('a disabled user\'s OIDC sign-in is refused with AUTH_USER_DISABLED; enabled again, it works', async (t) => {
  const store = new MemorySessionStore()
  const context = { store, identities: store.oidcStore(), linkByVerifiedEmail: false, defaultRoles: ['user'] }
  const user = await userForIdentity(context, provider, { sub: 'disabled-one' })
  await store.setUserDisabled(user.id, true, new Date())
  await t.rejects(userForIdentity(context, provider, { sub: 'disabled-one' }), { code: 'AUTH_USER_DISABLED' })
  await store.setUserDisabled(user.id, false, new Date())
  t.equal((await userForIdentity(context, provider, { sub: 'disabled-one' })).id, user.id)
})
