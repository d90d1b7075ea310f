// OIDC join claims in MongoDB (oidcJoins): the stored generations, and the answer when a claim cannot be decided
// (issue #14 item 2, fourth review).
import { MongoServerError, type Collection } from 'mongodb'
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { userForIdentity } from '../src/oidc/link-user.js'
import type { NormalisedOidcProvider } from '../src/oidc/options.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import { MongoSessionStore } from '../src/stores/mongo/session-store.js'
import { MongoOidcStore } from '../src/stores/mongo/oidc-store.js'
import { JOIN_CLAIM_MS } from '../src/stores/oidc.js'
import { useTestDatabase } from '@authgate/test-kit/database'

const { client, name } = await useTestDatabase(t, 'oidcjoins')

interface JoinDoc { _id: string, key: string, generation: number, subject: string, expiresAt: Date }

function joinStore (joins: string): { oidc: MongoOidcStore, collection: Collection<JoinDoc> } {
  const oidc = new MongoOidcStore({ run: async (operation) => operation(), db: () => client.db(name), maxTimeMS: 5000, collections: { joins, identities: `identities_${joins}` } })
  return { oidc, collection: client.db(name).collection<JoinDoc>(joins) }
}

t.test('join claims: no TTL index (an earlier version\'s is dropped); the latest generations stay after expiring, so ids never start again at 0', async (t) => {
  const { oidc, collection } = joinStore('joinsGenerations')
  // What an earlier version made (FerretDB v1 refuses the TTL option: a plain index of that name stands in).
  await collection.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 0 }, undefined).catch(async (error: unknown) => {
    if (!(error instanceof MongoServerError)) throw error
    await collection.createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl' }, undefined)
  })
  await oidc.init()
  const indexes = await collection.indexes()
  t.notOk(indexes.some((index) => index.name === 'expiresAt_ttl' || index.expireAfterSeconds !== undefined), 'no TTL index on the claims')
  t.ok(indexes.some((index) => index.name === 'key_generation' && JSON.stringify(index.key) === '{"key":1,"generation":-1}'), 'the claims\' read is indexed')
  const user = 'u:with:colons'
  const start = Date.now()
  const life = (lives: number) => new Date(start + lives * (JOIN_CLAIM_MS + 1000))
  const generations = async () => (await collection.find({}).sort({ generation: 1 }).toArray()).map((doc) => doc.generation)
  t.equal(await oidc.claimJoin('alpha', user, 's-0', life(0)), true)
  t.equal(await oidc.claimJoin('alpha', user, 's-1', life(1)), true, 'taken over once expired')
  t.same(await generations(), [0, 1], 'the expired generation stays while its successor is young')
  for (let lives = 2; lives < 5; lives++) t.equal(await oidc.claimJoin('alpha', user, `s-${lives}`, life(lives)), true, `taken over after ${lives} lives`)
  t.same(await generations(), [3, 4], 'only the superseded generations are removed: the latest two remain')
  // Long after the latest expired, nothing has removed it: a reader continues the count instead of starting over,
  // so a racer holding a stale read can never win generation 0 beside it.
  t.equal(await oidc.claimJoin('alpha', user, 's-late', life(50)), true)
  t.same(await generations(), [4, 5], 'the next generation, never 0 again')
  t.equal(await oidc.claimJoin('alpha', user, 's-other', life(50)), false, 'and it holds the claim against another subject')
  const docs = await collection.find({}).toArray()
  t.same(docs.map((doc) => doc._id).sort(), ['000000000004:join:alpha:u:with:colons', '000000000005:join:alpha:u:with:colons'], 'ids: <generation>:join:<provider>:<userId>')
  t.ok(docs.every((doc) => doc.key === 'join:alpha:u:with:colons'), 'each names its key')
  t.notOk(docs.some((doc) => doc._id.includes('\u0000') || doc.key.includes('\u0000')), 'no NUL anywhere (FerretDB v1 on PostgreSQL refuses it)')
  t.equal(await oidc.claimJoin('alpha', 'u:with', 's-other', life(50)), true, 'a user id that is a prefix of another (up to a ":") is another account')
})

const emailClaims = { email: ['email'], emailVerified: ['email_verified'], name: ['name'] }
const alpha = { name: 'alpha', claims: emailClaims } as unknown as NormalisedOidcProvider
const beta = { name: 'beta', claims: emailClaims } as unknown as NormalisedOidcProvider
const verified = (sub: string) => ({ sub, email: 'ann@example.com', email_verified: true })

t.test('join claims: losing every attempt is a 503, never "another subject won" (which would give the subject an account of its own)', async (t) => {
  const { oidc, collection } = joinStore('joinsExhausted')
  await oidc.init()
  const store = new MemorySessionStore()
  const context = { store, identities: oidc, linkByVerifiedEmail: true, defaultRoles: ['user'] }
  const owner = await userForIdentity(context, beta, verified('owner-at-beta'))
  // An expired claim whose next generation's id is held by a document the claim's read does not find (a state no
  // store call makes): every attempt reads generation 0 and loses the insert of 1.
  const key = `join:alpha:${owner.id}`
  const past = new Date(Date.now() - 1000)
  await collection.insertOne({ _id: `000000000000:${key}`, key, generation: 0, subject: 'gone', expiresAt: past })
  await collection.insertOne({ _id: `000000000001:${key}`, key: 'elsewhere', generation: 1, subject: 'gone', expiresAt: past })
  const error = await oidc.claimJoin('alpha', owner.id, 'newcomer', new Date()).then(() => undefined, (reason: unknown) => reason)
  t.ok(error instanceof AuthError, 'the claim rejects')
  t.match(error, { code: 'AUTH_STORE_UNAVAILABLE', statusCode: 503, retryAfter: 5 })
  await t.rejects(userForIdentity(context, alpha, verified('newcomer')), { code: 'AUTH_STORE_UNAVAILABLE' }, 'the sign-in answers 503')
  t.equal(await oidc.findIdentity('alpha', 'newcomer'), null, 'and links the subject nowhere')
  await collection.deleteOne({ key: 'elsewhere' })
  t.equal((await userForIdentity(context, alpha, verified('newcomer'))).id, owner.id, 'a retry once the store decides again joins the account')
})

t.test('MongoSessionStore.oidcStore(): one OIDC store per session store (its index state is shared)', async (t) => {
  const store = new MongoSessionStore({ client, database: name })
  t.equal(store.oidcStore(), store.oidcStore())
})
