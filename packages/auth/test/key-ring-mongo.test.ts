// The key ring on the real test database (FerretDB v1 or MongoDB): insert-only generations under a unique number,
// concurrent `keys rotate` from separate clients (exactly one current, always), private keys sealed at rest, and
// an instance picking up a rotation by polling.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { useTestDatabase } from '@authgate/test-kit/database'
import { MongoSessionStore } from '../src/stores/mongo/session-store.js'
import { KEY_RING_COLLECTION } from '../src/stores/mongo/key-ring-store.js'
import type { KeyRingStore } from '../src/keys/key-ring-store.js'
import { createKeyRingTokens, listKeyRing, parseKeyEncryptionKey, retireKeys, rotateKeyRing } from '../src/keys/index.js'

const { url, name: database, db } = await useTestDatabase(t, 'keyring')
const KEK_TEXT = randomBytes(32).toString('hex')
const kek = parseKeyEncryptionKey(KEK_TEXT, 'kek')
const LONG_AGO = 3_600_000

function openStore (): MongoSessionStore {
  const store = new MongoSessionStore({ url, database, serverSelectionTimeoutMS: 5000 })
  t.teardown(() => store.close())
  return store
}

t.test('generations are insert-only under a unique number', async (t) => {
  const ring = openStore().keyRingStore()
  await db.collection(KEY_RING_COLLECTION).deleteMany({})
  t.equal(await ring.readKeyRing(), null, 'an empty ring')
  const record = { generation: 1, createdAt: new Date(), change: 'test', keys: [] }
  t.equal(await ring.insertKeyRing(record), true)
  t.equal(await ring.insertKeyRing({ ...record, change: 'other' }), false, 'the same generation again: refused, nothing written')
  t.equal((await ring.readKeyRing())?.change, 'test')
  for (let generation = 2; generation <= 5; generation++) await ring.insertKeyRing({ ...record, generation })
  t.equal((await ring.readKeyRing())?.generation, 5, 'the newest generation is the ring')
  await ring.pruneKeyRing(100)
  t.same((await db.collection(KEY_RING_COLLECTION).find({}).toArray()).map((doc) => doc._id), [5], 'pruning never removes the newest')
  await db.collection(KEY_RING_COLLECTION).deleteMany({})
})

/**
 * The clients' KeyRingStores, each read held until every client has read: all of them plan from the same generation
 * and race on the insert, however the event loop and the server interleave them otherwise.
 */
function alignedReads (stores: KeyRingStore[]): KeyRingStore[] {
  let waiting: Array<() => void> = []
  return stores.map((store) => ({
    readKeyRing: async () => {
      const ring = await store.readKeyRing()
      await new Promise<void>((resolve) => {
        waiting.push(resolve)
        if (waiting.length === stores.length) {
          for (const release of waiting) release()
          waiting = []
        }
      })
      return ring
    },
    insertKeyRing: (record) => store.insertKeyRing(record),
    pruneKeyRing: (generation) => store.pruneKeyRing(generation)
  }))
}

t.test('concurrent rotations from separate clients: exactly one current, always', async (t) => {
  await db.collection(KEY_RING_COLLECTION).deleteMany({})
  const clients = [openStore(), openStore(), openStore()].map((store) => store.keyRingStore())
  await rotateKeyRing(clients[0]!, { algorithm: 'EdDSA', kek, minNextAgeMs: 0, now: new Date(Date.now() - LONG_AGO) })
  let applied = 0
  const aligned = alignedReads(clients)
  for (let round = 0; round < 5; round++) {
    const results = await Promise.allSettled(aligned.map((client) => rotateKeyRing(client, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 })))
    const won = results.filter((result) => result.status === 'fulfilled').length
    applied += won
    t.equal(won, 1, `round ${round}: exactly one of ${clients.length} rotations planned from the same ring applied`)
    for (const result of results) if (result.status === 'rejected') t.match(result.reason, { code: 'AUTHGATE_KEY_RING_CONFLICT' }, 'the others report a conflict')
  }
  // Unaligned too: whatever the interleaving, no generation may hold two current keys.
  for (let round = 0; round < 5; round++) {
    const results = await Promise.allSettled(clients.map((client) => rotateKeyRing(client, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 })))
    applied += results.filter((result) => result.status === 'fulfilled').length
  }
  // Every generation ever written holds exactly one current key and one next key.
  const docs = await db.collection(KEY_RING_COLLECTION).find({}).toArray()
  t.ok(docs.length >= 2)
  for (const doc of docs) {
    const keys = doc.keys as Array<{ state: string }>
    t.equal(keys.filter((key) => key.state === 'current').length, 1, `generation ${String(doc._id)}: one current`)
    t.equal(keys.filter((key) => key.state === 'next').length, 1, `generation ${String(doc._id)}: one next`)
  }
  const ring = await listKeyRing(clients[1]!, 60_000)
  t.equal(ring.generation, 1 + applied, 'one generation per applied rotation')
  t.equal(ring.keys.filter((key) => key.state === 'retired').length, applied, 'each applied rotation retired one key')
})

t.test('at rest: private keys only as AES-256-GCM ciphertext; the KEK is nowhere', async (t) => {
  const docs = await db.collection(KEY_RING_COLLECTION).find({}).toArray()
  const text = JSON.stringify(docs)
  t.notOk(text.includes('PRIVATE KEY'), 'no PEM private key')
  t.notOk(text.includes(KEK_TEXT), 'no KEK')
  t.ok(text.includes('PUBLIC KEY'), 'public keys in clear (they are public)')
})

t.test('an instance polling the database follows a rotation; retire drops keys past the window', async (t) => {
  await db.collection(KEY_RING_COLLECTION).deleteMany({})
  const admin = openStore().keyRingStore()
  const tokens = { algorithm: 'ES256' as const, issuer: 'ring', audience: 'ring', accessTtl: 60, clockTolerance: 0 }
  const instance = createKeyRingTokens({ tokens, store: openStore().keyRingStore(), kek, refreshMs: 100 })
  t.teardown(() => { instance.stop() })
  instance.start()
  const created = await rotateKeyRing(admin, { algorithm: 'ES256', kek, minNextAgeMs: 0, now: new Date(Date.now() - LONG_AGO) })
  const waitFor = async (check: () => boolean): Promise<boolean> => {
    for (const until = Date.now() + 5000; Date.now() < until;) {
      if (check()) return true
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    return check()
  }
  t.ok(await waitFor(() => instance.generation === 1), 'the instance read the new ring')
  const first = instance.tokens.sign({ sub: 'u', sid: 's', roles: [] }).token
  await t.rejects(rotateKeyRing(admin, { algorithm: 'ES256', kek, minNextAgeMs: LONG_AGO * 2 }), { code: 'AUTHGATE_KEY_RING_NEXT_TOO_YOUNG' }, 'a young next key is not promoted')
  const rotated = await rotateKeyRing(admin, { algorithm: 'ES256', kek, minNextAgeMs: 1000 })
  t.equal(rotated.current, created.next)
  t.ok(await waitFor(() => instance.generation === 2), 'the instance follows the rotation without a restart')
  t.ok(instance.tokens.verify(first).ok, 'a token of the retired key still verifies')
  t.equal(JSON.parse(Buffer.from(instance.tokens.sign({ sub: 'u', sid: 's', roles: [] }).token.split('.')[0]!, 'base64url').toString()).kid, created.next)

  t.same((await retireKeys(admin, { windowMs: 60_000 })).dropped, [], 'the retired key is within its window')
  const dropped = await retireKeys(admin, { windowMs: 60_000, now: new Date(Date.now() + 61_000) })
  t.same(dropped.dropped, [created.current], 'past its window it is dropped')
  t.ok(await waitFor(() => !instance.kids.includes(created.current as string)), 'and leaves the instance')
  t.notOk(instance.tokens.verify(first).ok, 'its tokens no longer verify')
})
