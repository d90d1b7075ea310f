// The factories a contract suite builds its stores with: one call per subtest, so no subtest sees another's data
// (a store that cannot be made empty cheaply may share its backing data; every subtest keeps to ids of its own).
import type { KeyRingStore } from '../keys/key-ring-store.js'
import type { LoginStateLimits, OidcStore } from '../stores/oidc.js'
import type { SessionStore } from '../stores/store.js'
import type { ContractTest } from './contract-test.js'

/**
 * A fresh session store, initialised (`init()` called), for the subtest `t`. `t` is the runner's own test object, so
 * a tap factory can close the store with `t.teardown(...)`.
 */
export type StoreFactory<T extends ContractTest = ContractTest> = (t: T) => Promise<SessionStore>

/** A fresh OIDC store of the same kind as the session stores, with the caps on login states lowered to `limits`. */
export type OidcStoreFactory<T extends ContractTest = ContractTest> = (t: T, limits: LoginStateLimits) => Promise<OidcStore>

/** A fresh, empty key-ring store for the subtest `t`. */
export type KeyRingStoreFactory<T extends ContractTest = ContractTest> = (t: T) => Promise<KeyRingStore>

/** `value`, or an error naming what is missing (where a suite needs a value to go on). */
export function present<V> (value: V | null | undefined, what: string): V {
  if (value === null || value === undefined) throw new Error(`no ${what}`)
  return value
}
