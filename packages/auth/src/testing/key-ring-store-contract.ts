// The contract every KeyRingStore passes (keys/key-ring-store.ts): the built-in ones (test/key-ring-store-memory.test.ts,
// test/key-ring-store-mongo.test.ts) and any store of your own, through @authgate/fastify/testing. What the ring's
// safety rests on is the insert: of two writers planning from the same generation exactly one may insert the next,
// so there is never a ring with two current keys.
import { randomBytes } from 'node:crypto'
import type { KeyRingRecord, SealedKey, StoredRingKey } from '../keys/key-ring-store.js'
import type { ContractTest } from './contract-test.js'
import type { KeyRingStoreFactory } from './factories.js'

const HOUR = 3_600_000

function sealed (): SealedKey {
  const part = (bytes: number) => randomBytes(bytes).toString('base64url')
  return { v: 1, iv: part(12), tag: part(16), data: part(48) }
}

/** A ring of three keys covering every state, with the nulls each state stores. */
function ring (generation: number, change = 'rotate', base = Date.now() - 10 * HOUR): KeyRingRecord {
  const at = (hours: number) => new Date(base + hours * HOUR)
  const keys: StoredRingKey[] = [
    { kid: `k${generation}-retired`, alg: 'EdDSA', state: 'retired', createdAt: at(0), activatedAt: at(1), retiredAt: at(2), publicKey: '-----BEGIN PUBLIC KEY-----\nretired\n-----END PUBLIC KEY-----\n', sealed: null },
    { kid: `k${generation}-current`, alg: 'EdDSA', state: 'current', createdAt: at(1), activatedAt: at(2), retiredAt: null, publicKey: '-----BEGIN PUBLIC KEY-----\ncurrent\n-----END PUBLIC KEY-----\n', sealed: sealed() },
    { kid: `k${generation}-next`, alg: 'HS256', state: 'next', createdAt: at(2), activatedAt: null, retiredAt: null, publicKey: null, sealed: sealed() }
  ]
  return { generation, createdAt: at(3), change, keys }
}

/** Registers the key-ring store contract's subtests on `t`; each subtest builds an empty store with `factory`. */
export function keyRingStoreContract<T extends ContractTest> (t: T, factory: KeyRingStoreFactory<T>): void {
  t.test('key ring: an empty store reads null', async (t) => {
    const store = await factory(t)
    t.equal(await store.readKeyRing(), null, 'no generation yet')
    await store.pruneKeyRing(10)
    t.equal(await store.readKeyRing(), null, 'pruning an empty ring leaves it empty')
  })

  t.test('key ring: a generation reads back as inserted (dates, nulls and sealed keys)', async (t) => {
    const store = await factory(t)
    const first = ring(1)
    t.equal(await store.insertKeyRing(first), true, 'generation 1 inserted')
    const read = await store.readKeyRing()
    t.same(read, first, 'every field, every key')
    t.ok(read?.createdAt instanceof Date, 'createdAt is a Date')
    t.ok(read?.keys.every((key) => key.createdAt instanceof Date), 'key dates are Dates')
    t.equal(read?.keys[0]?.retiredAt?.getTime(), first.keys[0]?.retiredAt?.getTime(), 'a retired key keeps its instant')
    t.equal(read?.keys[0]?.sealed, null, 'a dropped private key stays null')
    t.equal(read?.keys[2]?.activatedAt, null, 'a next key has no activation')
    t.equal(read?.keys[2]?.publicKey, null, 'an HMAC key has no public key')
    t.same(read?.keys[1]?.sealed, first.keys[1]?.sealed, 'the sealed key, part by part')
  })

  t.test('key ring: a generation that exists already is refused and nothing changes', async (t) => {
    const store = await factory(t)
    const first = ring(1)
    t.equal(await store.insertKeyRing(first), true)
    const rival = ring(1, 'retire', Date.now())
    t.equal(await store.insertKeyRing(rival), false, 'the same generation again resolves false')
    t.same(await store.readKeyRing(), first, 'the first writer\'s ring stands')
    t.equal(await store.insertKeyRing(ring(2)), true, 'the next generation is free')
    t.equal(await store.insertKeyRing(ring(2, 'retire')), false, 'and then taken')
    t.equal((await store.readKeyRing())?.change, 'rotate')
  })

  t.test('key ring: the highest generation is the ring, whatever the order of inserts', async (t) => {
    const store = await factory(t)
    const inserted = new Map<number, KeyRingRecord>()
    for (const generation of [2, 5, 1, 3]) {
      const record = ring(generation)
      inserted.set(generation, record)
      t.equal(await store.insertKeyRing(record), true, `generation ${generation}`)
    }
    t.same(await store.readKeyRing(), inserted.get(5), 'generation 5, not the last inserted')
    t.equal(await store.insertKeyRing(ring(4)), true, 'a lower generation may still be inserted')
    t.same(await store.readKeyRing(), inserted.get(5), 'and does not become the ring')
    t.equal(await store.insertKeyRing(ring(12)), true)
    t.equal((await store.readKeyRing())?.generation, 12, 'numbers, not strings: 12 above 5')
  })

  t.test('key ring: pruning removes older generations, never the newest', async (t) => {
    const store = await factory(t)
    for (let generation = 1; generation <= 4; generation++) await store.insertKeyRing(ring(generation))
    await store.pruneKeyRing(3)
    t.equal((await store.readKeyRing())?.generation, 4, 'the ring is untouched')
    t.equal(await store.insertKeyRing(ring(1)), true, 'generation 1 was removed')
    t.equal(await store.insertKeyRing(ring(2)), true, 'generation 2 was removed')
    t.equal(await store.insertKeyRing(ring(3)), false, 'generation 3 (not older than 3) was kept')
    await store.pruneKeyRing(100)
    t.equal((await store.readKeyRing())?.generation, 4, 'pruning past the newest keeps the newest')
    t.equal(await store.insertKeyRing(ring(4)), false, 'generation 4 is still stored')
    t.equal(await store.insertKeyRing(ring(3)), true, 'the older ones are gone')
  })

  t.test('key ring: records are copied in and out', async (t) => {
    const store = await factory(t)
    const first = ring(1)
    const expected = structuredClone(first)
    t.equal(await store.insertKeyRing(first), true)
    first.change = 'changed by the caller'
    first.createdAt.setTime(0)
    first.keys[1]?.createdAt.setTime(0)
    const sealedKey = first.keys[1]?.sealed
    if (sealedKey !== null && sealedKey !== undefined) sealedKey.data = 'changed'
    first.keys.pop()
    t.same(await store.readKeyRing(), expected, 'changing the inserted record changes nothing stored')
    const read = await store.readKeyRing()
    if (read === null) return t.fail('the ring is gone')
    read.keys[1]?.activatedAt?.setTime(0)
    read.keys.pop()
    read.change = 'changed by a reader'
    t.same(await store.readKeyRing(), expected, 'changing a record read changes nothing stored')
  })

  t.test('key ring: concurrent inserts of one generation, exactly one resolves true', async (t) => {
    const store = await factory(t)
    await store.insertKeyRing(ring(1))
    for (let round = 0; round < 3; round++) {
      const generation = 2 + round
      const rivals = Array.from({ length: 8 }, (_, index) => ring(generation, `writer-${index}`))
      const results = await Promise.all(rivals.map(async (record) => store.insertKeyRing(record)))
      t.equal(results.filter((result) => result).length, 1, `generation ${generation}: one of 8 racing writers wins, the others resolve false`)
      t.equal((await store.readKeyRing())?.change, `writer-${results.indexOf(true)}`, 'and the ring is the winner\'s')
    }
  })
}
