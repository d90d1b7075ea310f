// The MongoDB network memory decides before it trims: a trim that fails after the network was stored must not lose
// the verdict (the next sighting finds the network known, so this is the only chance to tell).
import t from 'tap'
import type { Collection } from 'mongodb'
import { recordNetwork, type NetworksDoc } from '../src/stores/mongo-networks.js'

t.test('a failing prune is reported and the verdict stands', async (t) => {
  const failures: unknown[] = []
  const collection = {
    // The user was seen before (previous address), the network is not known (no document before the upsert).
    findOneAndUpdate: async (filter: { _id: string }) => filter._id.includes('\u0000') ? null : { _id: 'u1', ip: '10.0.0.1', lastSeenAt: new Date(0), expiresAt: new Date(0) },
    find: () => { throw new Error('connection reset') },
    deleteMany: async () => { throw new Error('connection reset') }
  } as unknown as Collection<NetworksDoc>
  const verdict = await recordNetwork(collection, { userId: 'u1', network: '10.1.0.0/24', ip: '10.1.0.1', now: new Date(), memoryMs: 60_000, maxNetworks: 5 }, 1000, (error) => { failures.push(error) })
  t.same(verdict, { isNew: true, previousIp: '10.0.0.1' })
  t.equal(failures.length, 1, 'the failure is told to the caller (logged, throttled, by the store)')
})
