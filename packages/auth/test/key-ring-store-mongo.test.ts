// The key-ring store contract (@authgate/fastify/testing) on the MongoDB store, against the test database: a
// collection of its own per subtest, so each starts from an empty ring.
import t from 'tap'
import { useTestDatabase } from '@authgate/test-kit/database'
import { MongoKeyRingStore } from '../src/stores/mongo/key-ring-store.js'
import { keyRingStoreContract } from '../src/testing.js'

const { client, name } = await useTestDatabase(t, 'keyringcontract')
let count = 0

keyRingStoreContract(t, async () => new MongoKeyRingStore({
  run: async (operation) => operation(), db: () => client.db(name), maxTimeMS: 5000, collection: `signingKeys${++count}`
}))
