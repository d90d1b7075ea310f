// @authgate/fastify/stores: the session store contract in full, for writing a store of your own (prove it with
// @authgate/fastify/testing), and the factory that turns a `store` option into a store.
export { createStore, isSessionStore, MemorySessionStore, MongoSessionStore, MAX_PREVIOUS_HASHES, type StoreOption, type MongoStoreOptions } from './stores/index.js'
export type {
  SessionStore, SessionRecord, NewSession, UserRecord, UserPage, NewUser, DeviceRecord, DeviceSeen, GraceEntry, RotateInput, SessionPage,
  OneTimePurpose, OneTimeTokenRecord
} from './stores/store.js'
export { MemoryOidcStore, MongoOidcStore, hasOidcStore, type OidcStore, type OidcCapable, type ExternalIdentity, type LoginStateRecord } from './stores/index.js'
export type { AuditRecord, AuditListQuery, AuditDetail, AuditCapable } from './stores/audit-records.js'
export { DEFAULT_MAX_NETWORKS, type NetworkSighting, type NetworkVerdict, type NetworkEntry, type UserNetworks } from './stores/ip-memory.js'
export type { RevocationSource } from './tokens/types.js'
