// The MongoDB network memory's decisions on interleavings a real server produces only now and then (fake collection):
// a trim failing after the network was stored must not lose the verdict (the next sighting finds the network known,
// so this is the only chance to tell), and two first sightings at once are not news.
import t from 'tap'
import type { Collection } from 'mongodb'
import { recordNetwork, type NetworksDoc } from '../src/stores/mongo/networks.js'

t.test('a failing prune is reported and the verdict stands', async (t) => {
  const failures: unknown[] = []
  const collection = {
    // The user was seen before (previous address), the network is not known (no document before the upsert).
    findOneAndUpdate: async (filter: { _id: string }) => !filter._id.endsWith('|') ? null : { _id: 'u1', ip: '10.0.0.1', lastSeenAt: new Date(0), expiresAt: new Date(0) },
    find: () => { throw new Error('connection reset') },
    deleteMany: async () => { throw new Error('connection reset') }
  } as unknown as Collection<NetworksDoc>
  const verdict = await recordNetwork(collection, { userId: 'u1', network: '10.1.0.0/24', ip: '10.1.0.1', now: new Date(), memoryMs: 60_000, maxNetworks: 5 }, 1000, (error) => { failures.push(error) })
  t.same(verdict, { isNew: true, previousIp: '10.0.0.1' })
  t.equal(failures.length, 1, 'the failure is told to the caller (logged, throttled, by the store)')
})

t.test('two first sightings at once from one network: the one that creates the network document is not news', async (t) => {
  const now = new Date()
  // The interleaving: the other sighting wrote the user's document first (its address, its network), this one
  // then created the network's document.
  const collection = {
    findOneAndUpdate: async (filter: { _id: string }) => !filter._id.endsWith('|')
      ? null
      : { _id: 'u1', ip: '10.1.0.1', lastSeenAt: now, firstNetwork: '10.1.0.0/24', firstSeenAt: now, expiresAt: now },
    find: () => ({ sort: () => ({ toArray: async () => [] }) }),
    deleteMany: async () => ({ deletedCount: 0 })
  } as unknown as Collection<NetworksDoc>
  const seen = { userId: 'u1', network: '10.1.0.0/24', ip: '10.1.0.2', now, memoryMs: 60_000, maxNetworks: 5 }
  t.same(await recordNetwork(collection, seen, 1000), { isNew: false, previousIp: '10.1.0.1' })
  t.same(await recordNetwork(collection, { ...seen, network: '10.2.0.0/24', ip: '10.2.0.1' }, 1000), { isNew: true, previousIp: '10.1.0.1' }, 'another network than the first: news')
  t.same(await recordNetwork(collection, { ...seen, now: new Date(now.getTime() + 20_000) }, 1000), { isNew: true, previousIp: '10.1.0.1' }, 'the first network, no longer stored, seen well after the first moments (evicted by the bound): news')
  const later = { ...seen, now: new Date(now.getTime() + 61_000) }
  t.same(await recordNetwork(collection, later, 1000), { isNew: true, previousIp: '10.1.0.1' }, 'the first network past the memory: news again')
})
