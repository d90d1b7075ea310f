// The key-ring store contract (@authgate/fastify/testing) on the in-memory store, alone and as the memory session
// store hands it out.
import t from 'tap'
import { MemoryKeyRingStore } from '../src/keys/key-ring-store.js'
import { MemorySessionStore } from '../src/stores/memory.js'
import { keyRingStoreContract } from '../src/testing.js'

t.test('MemoryKeyRingStore', async (t) => {
  keyRingStoreContract(t, async () => new MemoryKeyRingStore())
})

t.test('MemorySessionStore.keyRingStore()', async (t) => {
  keyRingStoreContract(t, async () => new MemorySessionStore().keyRingStore())
})
