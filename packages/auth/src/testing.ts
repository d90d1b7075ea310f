// @authgate/fastify/testing: the contract suites the built-in stores pass, for proving a store of your own with one
// call from a test file. They need a test runner's `t` (tap's as it is; see ContractTest) and nothing else of tap.
import { storeContract as runStoreContract } from './testing/store-contract.js'
import { keyRingStoreContract as runKeyRingStoreContract } from './testing/key-ring-store-contract.js'
import type { ContractErrorPattern, ContractMessage, ContractTest } from './testing/contract-test.js'
import type { KeyRingStoreFactory, OidcStoreFactory, StoreFactory } from './testing/factories.js'

export type { ContractErrorPattern, ContractMessage, ContractTest, KeyRingStoreFactory, OidcStoreFactory, StoreFactory }
export type { LoginStateLimits } from './stores/oidc.js'

/**
 * Runs the session-store contract on `t`: sessions and rotation (a compare-and-swap under 50 concurrent callers),
 * revocation, devices, users and email identity, one-time tokens, network memory, the audit trail, the admin methods
 * and, given `limitedOidc`, OIDC identities and login states. `factory` makes a fresh, initialised store for each
 * subtest. The optional methods of `SessionStore` (one-time tokens, networks, audit, admin) are part of the contract:
 * a store lacking one fails the subtests that use it.
 *
 * Without `limitedOidc` the OIDC part is left out, and one subtest checks that the store has no `oidcStore()`.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts, run with tap
 * import t from 'tap'
 * import { storeContract } from '@authgate/fastify/testing'
 * import { MyStore } from '../src/my-store.js'
 *
 * storeContract(t, async (t) => {
 *   const store = new MyStore({ prefix: `contract-${Math.random()}` })
 *   t.teardown(() => store.close())
 *   await store.init()
 *   return store
 * })
 * ```
 */
export function storeContract<T extends ContractTest> (t: T, factory: StoreFactory<T>, limitedOidc?: OidcStoreFactory<T>): void {
  runStoreContract(t, factory, limitedOidc)
}

/**
 * Runs the key-ring store contract on `t` (the storage of `tokens.keyRing`): an empty ring reads null; a generation
 * reads back as inserted; a generation that exists already is refused, nothing written, also under concurrent
 * inserts (exactly one wins: what keeps two `authgate keys rotate` from both applying); the highest generation is
 * the ring; pruning never removes the newest; records are copied in and out. `factory` makes an empty store for each
 * subtest.
 *
 * @example
 * ```ts
 * // test/my-key-ring-store.test.ts, run with tap
 * import t from 'tap'
 * import { keyRingStoreContract } from '@authgate/fastify/testing'
 * import { MyKeyRingStore } from '../src/my-key-ring-store.js'
 *
 * keyRingStoreContract(t, async (t) => {
 *   const store = new MyKeyRingStore({ table: `ring_${Date.now()}_${Math.random().toString(36).slice(2)}` })
 *   t.teardown(() => store.close())
 *   return store
 * })
 * ```
 */
export function keyRingStoreContract<T extends ContractTest> (t: T, factory: KeyRingStoreFactory<T>): void {
  runKeyRingStoreContract(t, factory)
}
