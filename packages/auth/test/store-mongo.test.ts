import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { MongoClient, MongoNetworkError, MongoServerError, type Collection, type CommandStartedEvent } from 'mongodb'
import t from 'tap'
import { stateNetwork } from '../src/oidc/state-bucket.js'
import { AuthError } from '../src/errors.js'
import { MongoSessionStore } from '../src/stores/mongo/session-store.js'
import { MongoOidcStore } from '../src/stores/mongo/oidc-store.js'
import { rotateWithClaim } from '../src/stores/mongo/rotation.js'
import { RotationUnavailableError } from '../src/stores/mongo/rotation-claim.js'
import type { ClaimDoc, SessionDoc, TombstoneDoc } from '../src/stores/mongo/schema.js'
import { serverHonoursSlice } from '../src/stores/mongo/history-cap.js'
import { MAX_PREVIOUS_HASHES, type RotateInput } from '../src/stores/store.js'
import { useTestDatabase } from '@authgate/test-kit/database'
import { storeContract } from '../src/testing.js'

const { client, name } = await useTestDatabase(t, 'store')
let count = 0

/** The reason of a rotation's own 503 (undefined for any other outcome). */
function rotationCause (error: unknown): string | undefined {
  return error instanceof AuthError && error.cause instanceof RotationUnavailableError ? error.cause.reason : undefined
}

storeContract(t, async () => {
  // A fresh set of collections per subtest, on the file's own database.
  const suffix = String(++count)
  const store = new MongoSessionStore({ client, database: name, collections: { users: `users${suffix}`, sessions: `sessions${suffix}`, devices: `devices${suffix}` } })
  await store.init()
  return store
}, async (_t, limits) => {
  const states = `oidcStates${++count}`
  return new MongoOidcStore({ run: async (operation) => operation(), db: () => client.db(name), maxTimeMS: 5000, collections: { states }, stateLimits: limits })
})

t.test('documents hold hashes only and a sealed successor', async (t) => {
  const store = new MongoSessionStore({ url: process.env.MONGODB_URL, database: name })
  t.teardown(() => store.close())
  // What an earlier version created: replaced by the session list's index.
  await client.db(name).collection('sessions').createIndex({ userId: 1 }, { name: 'userId' }, undefined)
  await store.init()
  await store.init()
  const indexes = await client.db(name).collection('sessions').indexes()
  t.ok(indexes.some((index) => index.name === 'userId_createdAt_id' && JSON.stringify(index.key) === '{"userId":1,"createdAt":-1,"_id":-1}'),
    'the session list filters and sorts on an index')
  t.notOk(indexes.some((index) => index.name === 'userId'), 'the plain userId index is dropped')
  t.ok(indexes.some((index) => index.name === 'tokenHash_unique' && index.unique === true))
  t.ok(indexes.some((index) => index.name === 'expiresAt_ttl' || index.name === 'expiresAt'))
  const userIndexes = await client.db(name).collection('users').indexes()
  t.ok(userIndexes.some((index) => index.name === 'emailNormalized_unique' && index.unique === true))
})

t.test('onCommandStarted: a url store reports every command its own client sends (the bench counts round trips so)', async (t) => {
  const commands: string[] = []
  const store = new MongoSessionStore({
    url: process.env.MONGODB_URL, database: name, collections: { users: 'u_mon' }, onCommandStarted: (event) => { commands.push(event.commandName) }
  })
  t.teardown(() => store.close())
  await store.init()
  commands.length = 0
  t.equal(await store.findUserById('nobody'), null)
  t.same(commands, ['find'], 'one find, seen through the hook')
})

t.test('a dead server answers AUTH_STORE_UNAVAILABLE quickly', async (t) => {
  const store = new MongoSessionStore({ url: 'mongodb://127.0.0.1:1/?directConnection=true', database: 'x', serverSelectionTimeoutMS: 300 })
  t.teardown(() => store.close())
  const started = Date.now()
  const error = await store.findUserById('x').then(() => null, (e: unknown) => e)
  t.ok(error instanceof AuthError && error.code === 'AUTH_STORE_UNAVAILABLE')
  t.ok(error instanceof AuthError && error.cause !== undefined, 'the driver error is the cause')
  t.ok(Date.now() - started < 2000, 'fails within the selection budget')
  const ping = await store.ping().then(() => null, (e: unknown) => e)
  t.ok(ping instanceof AuthError && ping.code === 'AUTH_STORE_UNAVAILABLE')
})

t.test('a revocation overwritten by a racing rotation is caught by its tombstone', async (t) => {
  const store = new MongoSessionStore({ client, database: name, collections: { users: 'u_t', sessions: 's_t', devices: 'd_t', rotations: 'r_t', revocations: 'v_t' } })
  await store.init()
  const now = new Date()
  const session = await store.createSession({
    id: 'race-1', userId: 'u1', familyId: 'race-1', tokenHash: 'a'.repeat(64), roles: [], email: null, device: null, ip: '', userAgent: '',
    createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000)
  })
  t.same(await store.revokeUserSession('u1', session.id, now), { found: true, revoked: true })
  // What a read-modify-write server can do: the racing rotation writes the session back as it read it, unrevoked.
  await client.db(name).collection('s_t').updateOne({ _id: session.id as unknown as never }, { $set: { revokedAt: null } })
  const rotated = await store.rotateSession({
    currentHash: session.tokenHash, nextHash: 'b'.repeat(64), now: new Date(), idleSince: new Date(0), ip: '', userAgent: '',
    grace: { hash: session.tokenHash, retiredAt: new Date(), sealed: 'x' }
  })
  t.equal(rotated, null, 'the rotation is refused')
  const doc = await client.db(name).collection('s_t').findOne({ _id: session.id as unknown as never })
  t.ok(doc?.revokedAt instanceof Date, 'and the session is revoked again')
  t.same((await store.listRevokedSince(new Date(0))).map((entry) => entry.id), [session.id], 'the revocation list reads the tombstone')
})

t.test('an abandoned rotation claim: 503 while young, taken over once stale', async (t) => {
  const store = new MongoSessionStore({ client, database: name, collections: { users: 'u_c', sessions: 's_c', devices: 'd_c', rotations: 'r_c', revocations: 'v_c' } })
  await store.init()
  const now = new Date()
  const session = await store.createSession({
    id: 'claim-1', userId: 'u1', familyId: 'claim-1', tokenHash: 'c'.repeat(64), roles: [], email: null, device: null, ip: '', userAgent: '',
    createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000)
  })
  const input = () => ({
    currentHash: session.tokenHash, nextHash: 'd'.repeat(64), now: new Date(), idleSince: new Date(0), ip: '', userAgent: '',
    grace: { hash: session.tokenHash, retiredAt: new Date(), sealed: 'x' }
  })
  // A process that claimed the token and died before (or while) updating the session.
  await client.db(name).collection('r_c').insertOne({ _id: session.tokenHash as unknown as never, at: new Date(), expiresAt: new Date(Date.now() + 86_400_000) })
  const young = await store.rotateSession(input()).then(() => null, (error: unknown) => error)
  t.ok(young instanceof AuthError && young.code === 'AUTH_STORE_UNAVAILABLE', 'a young claim is an outage (retry), not a 401')
  t.equal(rotationCause(young), 'wait-expired')
  await client.db(name).collection('r_c').updateOne({ _id: session.tokenHash as unknown as never }, { $set: { at: new Date(Date.now() - 60_000) } })
  const rotated = await store.rotateSession(input())
  t.equal(rotated?.tokenHash, 'd'.repeat(64), 'a stale claim is taken over and the rotation proceeds')
})

t.test('rotation claims: a hash no live session holds leaves no row in `rotations`', async (t) => {
  const store = new MongoSessionStore({ client, database: name, collections: { sessions: 'sessionsClaims', rotations: 'rotationsClaims' } })
  await store.init()
  const now = new Date()
  for (let i = 0; i < 5; i++) {
    const random = createHash('sha256').update(randomBytes(32)).digest('hex')
    const rotated = await store.rotateSession({
      currentHash: random, nextHash: random.replace(/^./, 'x'), now, idleSince: new Date(0), ip: '1', userAgent: 'ua',
      grace: { hash: random, retiredAt: now, sealed: 'x' }
    })
    t.equal(rotated, null)
  }
  t.equal(await client.db(name).collection('rotationsClaims').countDocuments({}), 0, 'claims of failed swaps are released')
})

t.test('rotation: waiting for a concurrent claim on a slow server is bounded by one deadline', async (t) => {
  // Fakes standing in for a server that answers each query just under maxTimeMS: the claim is held by someone
  // else and the token stays current. One overall budget (maxTimeMS) must end it, not 40 polls of up to 1 s each.
  const duplicate = new MongoServerError({ message: 'E11000 duplicate key', code: 11000 })
  // The claim is young: the takeover (tried first) matches nothing, so the caller waits for the holder's rotation.
  const claims = { insertOne: async () => { throw duplicate }, findOneAndUpdate: async () => null, countDocuments: async () => 1 } as unknown as Collection<ClaimDoc>
  const sessions = { countDocuments: async () => { await sleep(400); return 1 } } as unknown as Collection<SessionDoc>
  const now = new Date()
  const started = Date.now()
  const error = await rotateWithClaim(sessions, claims, {} as unknown as Collection<TombstoneDoc>, {
    currentHash: 'h', nextHash: 'n', now, idleSince: new Date(0), ip: '1', userAgent: 'ua', grace: { hash: 'h', retiredAt: now, sealed: 'x' }
  }, 1000).then(() => null, (e: unknown) => e)
  t.ok(error instanceof AuthError && error.code === 'AUTH_STORE_UNAVAILABLE', '503, retry later')
  t.equal(rotationCause(error), 'wait-expired', 'caused by the wait, not by the store')
  t.ok(Date.now() - started < 1600, `answers within the budget (${Date.now() - started} ms)`)
})

// Review of issue #17: the 503s under load in the rotation path.
const duplicateKey = new MongoServerError({ message: 'E11000 duplicate key', code: 11000 })
const fakeInput = (now = new Date()): RotateInput => ({
  currentHash: 'h', nextHash: 'n', now, idleSince: new Date(0), ip: '1', userAgent: 'ua', grace: { hash: 'h', retiredAt: now, sealed: 'x' }
})

t.test('rotation: a swap that lands during the last (shortened) wait is seen by one last poll', async (t) => {
  // Polls at about 0, 25, 75 and 175 ms, then a sleep cut to the budget's end (300 ms): the swap lands in that sleep.
  const started = Date.now()
  const claims = { insertOne: async () => { throw duplicateKey }, findOneAndUpdate: async () => null, countDocuments: async () => 1 } as unknown as Collection<ClaimDoc>
  const sessions = { countDocuments: async () => (Date.now() - started >= 240 ? 0 : 1) } as unknown as Collection<SessionDoc>
  const rotated = await rotateWithClaim(sessions, claims, {} as unknown as Collection<TombstoneDoc>, fakeInput(), 300)
  t.equal(rotated, null, 'the grace path, not a 503')
})

t.test('rotation: a winner out of budget answers 503 with that cause', async (t) => {
  const claims = { insertOne: async () => { await sleep(350) }, deleteOne: async () => ({ deletedCount: 1 }) } as unknown as Collection<ClaimDoc>
  const error = await rotateWithClaim({} as unknown as Collection<SessionDoc>, claims, {} as unknown as Collection<TombstoneDoc>, fakeInput(), 300)
    .then(() => null, (e: unknown) => e)
  t.equal(rotationCause(error), 'winner-out-of-budget')
})

t.test('rotation: a holder that gives up (its claim deleted) is replaced by a waiting caller within the budget', async (t) => {
  const db = client.db(name)
  const sessions = db.collection<SessionDoc>('s_rel')
  const claims = db.collection<ClaimDoc>('r_rel')
  const now = new Date()
  await sessions.insertOne({
    _id: 'rel-1', userId: 'u1', familyId: 'rel-1', tokenHash: 'rel-current', roles: [], email: null, device: null, ip: '', userAgent: '',
    createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000), previousHashes: [], grace: null, revokedAt: null
  })
  // A concurrent winner holds a young claim, then gives up (its swap failed): it deletes its claim, the token stays current.
  await claims.insertOne({ _id: 'rel-current', at: new Date(), expiresAt: new Date(Date.now() + 86_400_000) })
  setTimeout(() => { void claims.deleteOne({ _id: 'rel-current' }) }, 300)
  const rotated = await rotateWithClaim(sessions, claims, db.collection<TombstoneDoc>('v_rel'), {
    ...fakeInput(), currentHash: 'rel-current', nextHash: 'rel-next', grace: { hash: 'rel-current', retiredAt: new Date(), sealed: 'x' }
  }, 3000)
  t.equal(rotated?.tokenHash, 'rel-next', 'the waiting caller claims the token again and rotates it')
})

// Issue #17: FerretDB v1 accepts `$slice` and ignores it. The store probes the server once, says so in the log, and
// then caps the history in code; asserted here on the raw stored documents, on whichever server the tests run on.
const ferretdb = (process.env.AUTHGATE_TEST_DB_KIND ?? '').startsWith('FerretDB')

t.test('the $slice probe reads the server right, and a store on a server that ignores it says so once', async (t) => {
  const honoured = await serverHonoursSlice(client.db(name).collection<ClaimDoc>('probe_r'), 3000)
  t.equal(honoured, !ferretdb, ferretdb ? 'FerretDB v1 ignores $slice' : 'the server applies $slice')
  t.equal(await client.db(name).collection('probe_r').countDocuments({}), 0, 'the scratch document is removed')
  const warnings: Array<Record<string, unknown>> = []
  const store = new MongoSessionStore({
    client, database: name, collections: { sessions: 's_log', rotations: 'r_log' }, logger: { warn: (object) => warnings.push(object) }
  })
  await store.init()
  await store.ping()
  t.same(warnings.map((w) => w.event), honoured ? [] : ['store_slice_ignored'], 'one log line where the store adapts, none elsewhere')
})

t.test('the $slice probe: only a refusal of the update means "not honoured"; a transient error is retried later', async (t) => {
  const probeWith = (failure: Error): Collection<ClaimDoc> => ({
    insertOne: async () => ({ acknowledged: true }),
    updateOne: async () => { throw failure },
    deleteOne: async () => ({ deletedCount: 1 })
  }) as unknown as Collection<ClaimDoc>
  for (const code of [2, 9, 238]) {
    t.equal(await serverHonoursSlice(probeWith(new MongoServerError({ message: 'refused', code })), 1000), false, `code ${code}: not honoured`)
  }
  for (const [label, failure] of [
    ['NotWritablePrimary', new MongoServerError({ message: 'not primary', code: 10107 })],
    ['MaxTimeMSExpired', new MongoServerError({ message: 'time limit', code: 50 })],
    ['a network error', new MongoNetworkError('connection reset')]
  ] as const) {
    await t.rejects(serverHonoursSlice(probeWith(failure), 1000), failure, `${label}: rejects (the store prepares again later)`)
  }
})

for (const sliceHonoured of [true, false]) {
  t.test(`the stored session document holds at most ${MAX_PREVIOUS_HASHES} hashes (${sliceHonoured ? 'server $slice' : 'capped in code'})`, {
    skip: sliceHonoured && ferretdb ? 'FerretDB v1 ignores $slice: the in-code cap is checked there, the server one on mongo-java-server' : false
  }, async (t) => {
    const db = client.db(name)
    const suffix = sliceHonoured ? 'slice' : 'trim'
    const sessions = db.collection<SessionDoc>(`s_${suffix}`)
    const claims = db.collection<ClaimDoc>(`r_${suffix}`)
    const tombstones = db.collection<TombstoneDoc>(`v_${suffix}`)
    const now = new Date()
    const first = createHash('sha256').update(randomBytes(32)).digest('hex')
    await sessions.insertOne({
      _id: `cap-${suffix}`, userId: 'u1', familyId: `cap-${suffix}`, tokenHash: first, roles: [], email: null, device: null, ip: '', userAgent: '',
      createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000), previousHashes: [], grace: null, revokedAt: null
    })
    const retired: string[] = []
    const returnedLengths: number[] = []
    let current = first
    for (let i = 0; i < MAX_PREVIOUS_HASHES + 10; i++) {
      const next = createHash('sha256').update(randomBytes(32)).digest('hex')
      const rotated = await rotateWithClaim(sessions, claims, tombstones, {
        currentHash: current, nextHash: next, now: new Date(), idleSince: new Date(0), ip: '', userAgent: '',
        grace: { hash: current, retiredAt: new Date(), sealed: 'x' }
      }, 3000, sliceHonoured)
      returnedLengths.push(rotated?.previousHashes.length ?? -1)
      retired.push(current)
      current = next
    }
    t.same(returnedLengths, retired.map((_, i) => Math.min(i + 1, MAX_PREVIOUS_HASHES)), 'every rotation answers with the capped history')
    const stored = await sessions.findOne({ _id: `cap-${suffix}` })
    t.same(stored?.previousHashes, retired.slice(-MAX_PREVIOUS_HASHES), `the stored document keeps the newest ${MAX_PREVIOUS_HASHES}`)
  })
}

// Review of issue #17: the history cap is part of the swap, never a second write after it. A second write could fail
// after the rotation landed (the request answers 503, the client keeps a retired token), and on a read-modify-write
// server it could undo a revocation or a later rotation that landed in between.
for (const sliceHonoured of [true, false]) {
  t.test(`a rotation at the cap writes the session once (${sliceHonoured ? 'server $slice' : 'capped array'})`, {
    skip: sliceHonoured && ferretdb ? 'FerretDB v1 ignores $slice: checked on mongo-java-server' : false
  }, async (t) => {
    const watched = new MongoClient(process.env.MONGODB_URL as string, { monitorCommands: true, serverSelectionTimeoutMS: 5000 })
    t.teardown(() => watched.close())
    const writes: string[] = []
    watched.on('commandStarted', (event: CommandStartedEvent) => {
      const target = event.command[event.commandName] as unknown
      if (target === 'once_s' && ['update', 'findAndModify', 'delete', 'insert'].includes(event.commandName)) writes.push(event.commandName)
    })
    const db = watched.db(name)
    const sessions = db.collection<SessionDoc>('once_s')
    const now = new Date()
    const history = Array.from({ length: MAX_PREVIOUS_HASHES }, (_, i) => `old-${i}`)
    const id = `once-${String(sliceHonoured)}`
    await sessions.insertOne({
      _id: id, userId: 'u1', familyId: id, tokenHash: `${id}-current`, roles: [], email: null, device: null, ip: '', userAgent: '',
      createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 86_400_000), previousHashes: history, grace: null, revokedAt: null
    })
    writes.length = 0
    const rotated = await rotateWithClaim(sessions, db.collection<ClaimDoc>('once_r'), db.collection<TombstoneDoc>('once_v'), {
      currentHash: `${id}-current`, nextHash: `${id}-next`, now: new Date(), idleSince: new Date(0), ip: '', userAgent: '',
      grace: { hash: `${id}-current`, retiredAt: new Date(), sealed: 'x' }
    }, 3000, sliceHonoured)
    t.same(writes, ['findAndModify'], 'the swap is the only write to the session')
    const expected = [...history.slice(1), `${id}-current`]
    t.same(rotated?.previousHashes, expected, 'the answer holds the capped history')
    t.same((await sessions.findOne({ _id: id }))?.previousHashes, expected, 'so does the stored document')
  })
}

t.test('a full login-state store answers from its kept verdict: no count or sweep per refused request', async (t) => {
  const watched = new MongoClient(process.env.MONGODB_URL as string, { monitorCommands: true, serverSelectionTimeoutMS: 5000 })
  await watched.connect()
  t.teardown(() => watched.close())
  const commands: string[] = []
  watched.on('commandStarted', (event: CommandStartedEvent) => { commands.push(event.commandName) })
  const oidc = new MongoOidcStore({ run: async (operation) => operation(), db: () => watched.db(name), maxTimeMS: 5000, collections: { states: 'oidcStatesFull' }, stateLimits: { total: 3, perClient: 100, perNetwork: 100 } })
  await oidc.init()
  const now = new Date()
  const state = (client: string) => ({
    id: createHash('sha256').update(randomBytes(32)).digest('hex'), provider: 'alpha', bindingHash: 'b', nonce: 'n', codeVerifier: 'v',
    redirectUri: 'http://127.0.0.1/cb', returnTo: '/', client, network: stateNetwork(client), expiresAt: new Date(now.getTime() + 60_000)
  })
  for (let i = 0; i < 3; i++) t.equal(await oidc.saveLoginState(state(`192.0.2.${i}`), now), 'saved')
  t.equal(await oidc.saveLoginState(state('192.0.2.50'), now), 'full')
  commands.length = 0
  for (let i = 0; i < 20; i++) t.equal(await oidc.saveLoginState(state(`198.51.100.${i}`), new Date(now.getTime() + i)), 'full')
  t.same(commands, [], 'twenty refusals within the verdict\'s life: not one command')
  t.equal(await oidc.saveLoginState(state('192.0.2.51'), new Date(now.getTime() + 6_000)), 'full', 'recounted after the verdict\'s life: still full')
  t.equal(commands.filter((name) => name === 'aggregate' || name === 'count').length, 2, 'one metadata read and one count')
  t.equal(commands.filter((name) => name === 'delete').length, 0, 'no sweep: the first refusal swept less than its interval ago')
  t.equal(await oidc.saveLoginState(state('192.0.2.52'), new Date(now.getTime() + 31_000)), 'full')
  t.equal(commands.filter((name) => name === 'delete').length, 1, 'one sweep once its interval is over')
})

t.test('oidc store indexes: made by init (the userId one too), never on a sign-in\'s path; after a failure not retried by every call', async (t) => {
  const watched = new MongoClient(process.env.MONGODB_URL as string, { monitorCommands: true, serverSelectionTimeoutMS: 5000 })
  await watched.connect()
  t.teardown(() => watched.close())
  const commands: string[] = []
  watched.on('commandStarted', (event: CommandStartedEvent) => { commands.push(event.commandName) })
  const collections = { identities: 'identitiesInit', states: 'oidcStatesInit', joins: 'oidcJoinsInit' }
  const oidc = new MongoOidcStore({ run: async (operation) => operation(), db: () => watched.db(name), maxTimeMS: 5000, collections })
  await oidc.init()
  const indexes = await watched.db(name).collection(collections.identities).indexes().catch(() => [])
  t.ok(indexes.some((index) => index.name === 'userId'), 'identities has its userId index after init')
  commands.length = 0
  t.equal(await oidc.hasIdentity('alpha', 'u-1'), false)
  t.equal(await oidc.unlinkUser('u-1'), 0)
  t.equal(await oidc.claimJoin('alpha', 'u-1', 's-1', new Date()), true)
  t.same(commands.filter((command) => command === 'createIndexes'), [], 'no index created on the sign-in path once init ran')
  // A store whose first call fails (the database down at start-up): init fails, and the calls after it do not each
  // try again (a round trip per sign-in); they still work.
  let down = true
  const failing = new MongoOidcStore({
    run: async (operation) => { if (down) { down = false; throw new Error('down at start-up') } return operation() },
    db: () => watched.db(name), maxTimeMS: 5000, collections
  })
  await t.rejects(failing.init(), 'init fails while the database is down')
  commands.length = 0
  for (let i = 0; i < 10; i++) t.equal(await failing.hasIdentity('alpha', `u-${i}`), false)
  await sleep(50)
  t.same(commands.filter((command) => command === 'createIndexes'), [], 'ten calls after the failure: no retry of the indexes')
})

t.test('networks: the list leaves out a network past its memory before anything deletes it', async (t) => {
  const store = new MongoSessionStore({ client, database: name, collections: { users: 'usersNetworksList', sessions: 'sessionsNetworksList', devices: 'devicesNetworksList' } })
  await store.init()
  const now = Date.now()
  await store.recordNetwork({ userId: 'forgotten', network: '10.1.0.0/24', ip: '10.1.0.1', now: new Date(now - 5000), memoryMs: 1000, maxNetworks: 5 })
  await store.recordNetwork({ userId: 'forgotten', network: '10.2.0.0/24', ip: '10.2.0.1', now: new Date(now - 4000), memoryMs: 60_000, maxNetworks: 5 })
  const record = await store.findNetworks('forgotten')
  t.equal(record?.lastIp, '10.2.0.1')
  t.same(record?.networks.map((entry) => entry.network), ['10.2.0.0/24'], 'only the network still within its memory')
})

t.test('networks: no stored id holds NUL (FerretDB on PostgreSQL refuses it), and user ids holding `|` stay apart', async (t) => {
  const store = new MongoSessionStore({ client, database: name, collections: { users: 'usersNetworksIds', sessions: 'sessionsNetworksIds', devices: 'devicesNetworksIds', networks: 'networksIds' } })
  await store.init()
  const now = new Date()
  const sight = (userId: string, network: string): Promise<unknown> => store.recordNetwork({ userId, network, ip: network.replace('/24', '').replace(/0$/, '1'), now, memoryMs: 60_000, maxNetworks: 5 })
  await sight('a', '10.1.0.0/24')
  await sight('a|10.1.0.0/24', '10.2.0.0/24')
  const ids = (await client.db(name).collection('networksIds').find({}, { projection: { _id: 1 } }).toArray()).map((doc) => String(doc._id))
  t.equal(ids.length, 4, 'two users, one network and one last sighting each')
  t.notOk(ids.some((id) => id.includes('\u0000')))
  t.same((await store.findNetworks('a'))?.networks.map((entry) => entry.network), ['10.1.0.0/24'])
  t.same((await store.findNetworks('a|10.1.0.0/24'))?.networks.map((entry) => entry.network), ['10.2.0.0/24'])
})
