// The network memory of the store contract (new-IP notifications, issue #15 item 2): run by storeContract for every
// store. The decision itself is stores/ip-memory.ts; what each store must get right is loading and saving it: the
// bound per user, expiry by the memory, and concurrent sightings of one user.
import { randomUUID } from 'node:crypto'
import type { ContractTest } from './contract-test.js'
import type { StoreFactory } from './factories.js'
import type { NetworkSighting } from '../stores/ip-memory.js'

const DAY = 86_400_000

function sighting (userId: string, network: string, ip: string, now: Date, overrides: Partial<NetworkSighting> = {}): NetworkSighting {
  return { userId, network, ip, now, memoryMs: 90 * DAY, maxNetworks: 50, ...overrides }
}

export function networkContract<T extends ContractTest> (t: T, factory: StoreFactory<T>): void {
  t.test('networks: the first sighting of a user is not news; another network is; the same one is not', async (t) => {
    const store = await factory(t)
    if (store.recordNetwork === undefined || store.findNetworks === undefined) return t.fail('the built-in stores remember networks')
    const user = `u-${randomUUID()}`
    const now = Date.now()
    t.same(await store.recordNetwork(sighting(user, '203.0.113.0/24', '203.0.113.7', new Date(now))), { isNew: false, previousIp: null }, 'first ever: no previous address, no news')
    t.same(await store.recordNetwork(sighting(user, '203.0.113.0/24', '203.0.113.8', new Date(now + 1000))), { isNew: false, previousIp: '203.0.113.7' })
    t.same(await store.recordNetwork(sighting(user, '198.51.100.0/24', '198.51.100.1', new Date(now + 2000))), { isNew: true, previousIp: '203.0.113.8' }, 'another network: news, with the last address')
    t.same(await store.recordNetwork(sighting(user, '203.0.113.0/24', '203.0.113.9', new Date(now + 3000))), { isNew: false, previousIp: '198.51.100.1' }, 'back home: known')
    t.same(await store.recordNetwork(sighting(`u-${randomUUID()}`, '198.51.100.0/24', '198.51.100.1', new Date(now))), { isNew: false, previousIp: null }, 'networks are per user')
    const record = await store.findNetworks(user)
    t.equal(record?.lastIp, '203.0.113.9')
    t.same(record?.networks.map((entry) => entry.network), ['203.0.113.0/24', '198.51.100.0/24'], 'most recently seen first')
    t.equal(record?.networks[0]?.lastSeenAt.getTime(), now + 3000)
  })

  t.test('networks: one not seen within the memory is news again, and dropped from the record', async (t) => {
    const store = await factory(t)
    if (store.recordNetwork === undefined || store.findNetworks === undefined) return t.fail('no recordNetwork')
    const user = `u-${randomUUID()}`
    const now = Date.now()
    const memory = { memoryMs: 60_000 }
    await store.recordNetwork(sighting(user, '10.1.1.0/24', '10.1.1.1', new Date(now), memory))
    await store.recordNetwork(sighting(user, '10.2.2.0/24', '10.2.2.2', new Date(now + 1000), memory))
    t.same(await store.recordNetwork(sighting(user, '10.1.1.0/24', '10.1.1.3', new Date(now + 59_000), memory)), { isNew: false, previousIp: '10.2.2.2' }, 'within the memory')
    t.same(await store.recordNetwork(sighting(user, '10.2.2.0/24', '10.2.2.4', new Date(now + 62_000), memory)), { isNew: true, previousIp: '10.1.1.3' }, 'past the memory: new again')
    const record = await store.findNetworks(user)
    t.same(record?.networks.map((entry) => entry.network), ['10.2.2.0/24', '10.1.1.0/24'])
    await store.recordNetwork(sighting(user, '10.2.2.0/24', '10.2.2.4', new Date(now + 200_000), memory))
    t.same((await store.findNetworks(user))?.networks.map((entry) => entry.network), ['10.2.2.0/24'], 'a forgotten network is no longer stored')
  })

  t.test('networks: at most maxNetworks per user on the stored record, the least recently seen evicted', async (t) => {
    const store = await factory(t)
    if (store.recordNetwork === undefined || store.findNetworks === undefined) return t.fail('no recordNetwork')
    const user = `u-${randomUUID()}`
    const now = Date.now()
    for (let index = 0; index < 12; index++) {
      await store.recordNetwork(sighting(user, `10.0.${index}.0/24`, `10.0.${index}.1`, new Date(now + index * 1000), { maxNetworks: 5 }))
    }
    const record = await store.findNetworks(user)
    t.equal(record?.networks.length, 5, 'bounded')
    t.same(record?.networks.map((entry) => entry.network), ['10.0.11.0/24', '10.0.10.0/24', '10.0.9.0/24', '10.0.8.0/24', '10.0.7.0/24'])
    t.same(await store.recordNetwork(sighting(user, '10.0.0.0/24', '10.0.0.1', new Date(now + 20_000), { maxNetworks: 5 })), { isNew: true, previousIp: '10.0.11.1' }, 'an evicted network is news again')
  })

  t.test('networks: concurrent sightings of one user lose no network and stay bounded', async (t) => {
    const store = await factory(t)
    if (store.recordNetwork === undefined || store.findNetworks === undefined) return t.fail('no recordNetwork')
    const user = `u-${randomUUID()}`
    const now = Date.now()
    await store.recordNetwork(sighting(user, '192.0.2.0/24', '192.0.2.1', new Date(now)))
    const verdicts = await Promise.allSettled(Array.from({ length: 3 }, async (_, index) =>
      store.recordNetwork?.(sighting(user, `172.16.${index}.0/24`, `172.16.${index}.1`, new Date(now + 1000 + index)))))
    t.equal(verdicts.filter((result) => result.status === 'fulfilled').length, 3, 'every sighting settles')
    t.same(verdicts.map((result) => result.status === 'fulfilled' ? result.value?.isNew : 'rejected'), [true, true, true], 'each network is news, once')
    const record = await store.findNetworks(user)
    t.equal(record?.networks.length, 4, 'no sighting overwritten by a concurrent one')
  })

  t.test('networks: concurrent first sightings of a user from one network are not news', async (t) => {
    const store = await factory(t)
    if (store.recordNetwork === undefined) return t.fail('no recordNetwork')
    const now = Date.now()
    for (let round = 0; round < 5; round++) {
      const user = `u-${randomUUID()}`
      const verdicts = await Promise.all(Array.from({ length: 4 }, async (_, index) =>
        store.recordNetwork?.(sighting(user, '198.18.0.0/24', `198.18.0.${index + 1}`, new Date(now + index)))))
      t.same(verdicts.filter((verdict) => verdict?.isNew === true), [], `round ${round}: the account's first moments`)
    }
  })

  t.test('networks: concurrent sightings of the same new network are news exactly once', async (t) => {
    const store = await factory(t)
    if (store.recordNetwork === undefined || store.findNetworks === undefined) return t.fail('no recordNetwork')
    const user = `u-${randomUUID()}`
    const now = Date.now()
    await store.recordNetwork(sighting(user, '192.0.2.0/24', '192.0.2.1', new Date(now)))
    const verdicts = await Promise.all(Array.from({ length: 4 }, async (_, index) =>
      store.recordNetwork?.(sighting(user, '172.16.0.0/24', `172.16.0.${index + 1}`, new Date(now + 1000 + index)))))
    t.equal(verdicts.filter((verdict) => verdict?.isNew === true).length, 1, 'one notification, not one per request')
    t.same((await store.findNetworks(user))?.networks.map((entry) => entry.network).sort(), ['172.16.0.0/24', '192.0.2.0/24'])
  })
}
