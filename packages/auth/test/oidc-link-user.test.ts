// userForIdentity when the store's createUser wrote the user but its answer was lost (a timeout after the write):
// the link stays and the sign-in uses the user, instead of orphaning it (issue #14 item 2, second review, 3).
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import type { NewUser, UserRecord } from '../src/stores/store.js'
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
