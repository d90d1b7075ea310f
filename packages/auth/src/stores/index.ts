// Store selection: `{ mongodb: {...} }`, `{ memory: true }`, or any object implementing SessionStore.
import { MemorySessionStore } from './memory.js'
import { MongoSessionStore, type MongoStoreOptions } from './mongo/session-store.js'
import type { SessionStore } from './store.js'
import type { StoreLogger } from './mongo/history-cap.js'

/** The `store` option: `{ mongodb: { url | client, database } }`, `{ memory: true }`, or a SessionStore of your own. */
export type StoreOption = { mongodb: MongoStoreOptions } | { memory: true } | SessionStore

export function isSessionStore (value: unknown): value is SessionStore {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return ['init', 'ping', 'close', 'rotateSession', 'createSession', 'listRevokedSince'].every((name) => typeof candidate[name] === 'function')
}

/**
 * Builds the store named by `option` (the in-memory store when absent). Throws an Error naming the option path.
 * `logger` goes to a MongoDB store configured without one (the plugin passes its own).
 */
export function createStore (option?: StoreOption, path = 'store', logger?: StoreLogger): SessionStore {
  if (option === undefined) return new MemorySessionStore()
  if (isSessionStore(option)) return option
  if (typeof option !== 'object') throw new Error(`${path} must be an object`)
  if ('memory' in option) return new MemorySessionStore()
  if ('mongodb' in option) {
    const mongo = option.mongodb as Partial<MongoStoreOptions> | undefined
    if (typeof mongo !== 'object') throw new Error(`${path}.mongodb must be an object`)
    if (typeof mongo.database !== 'string' || mongo.database.length === 0) throw new Error(`${path}.mongodb.database must be a non-empty string`)
    if (mongo.client === undefined && (typeof mongo.url !== 'string' || mongo.url.length === 0)) {
      throw new Error(`${path}.mongodb needs a url (a non-empty string) or a client`)
    }
    return new MongoSessionStore({ logger, ...mongo } as MongoStoreOptions)
  }
  throw new Error(`${path} must be { mongodb: { url | client, database } }, { memory: true } or a SessionStore`)
}

/**
 * Loads the optional package `store` needs (the mongodb driver for a MongoSessionStore) and creates its client. The
 * plugin calls it at registration: a missing package (MissingPeerError) or a url the driver refuses (the driver's
 * error) then stops the start, instead of a store that fails every call.
 */
export async function loadStoreDriver (store: SessionStore): Promise<void> {
  if (store instanceof MongoSessionStore) await store.prepare()
}

export { MemorySessionStore } from './memory.js'
export { MongoSessionStore, type MongoStoreOptions } from './mongo/session-store.js'
export { MongoKeyRingStore, KEY_RING_COLLECTION } from './mongo/key-ring-store.js'
export * from './store.js'
export { MemoryOidcStore, hasOidcStore, type OidcStore, type OidcCapable, type ExternalIdentity, type LoginStateRecord } from './oidc.js'
export { MongoOidcStore } from './mongo/oidc-store.js'
