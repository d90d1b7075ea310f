// The MongoDB documents of MongoSessionStore, their indexes, and the mapping of driver errors at the boundary.
import type { Collection, Document } from 'mongodb'
import { serverErrorCode } from './driver.js'
import { MissingPeerError } from '../../internal/optional-peer.js'
import { isStoreConfigurationError } from './connection.js'
import { AuthError } from '../../errors.js'
import type { DeviceRecord, SessionRecord, UserRecord } from '../store.js'
import type { NetworksDoc } from './networks.js'
import type { OneTimeTokenDoc } from './one-time.js'

export type UserDoc = Omit<UserRecord, 'id'> & { _id: string }
export type SessionDoc = Omit<SessionRecord, 'id'> & { _id: string }
export type DeviceDoc = DeviceRecord
/** A rotation claim: the retired hash is the unique `_id`, so only one rotation of a given token can proceed. */
/**
 * A revocation, insert-only. Written BEFORE the session's revokedAt: on servers whose updates are read-modify-write
 * (FerretDB v1), a rotation racing the revocation could write the session back unrevoked; the rotation then finds
 * this record and revokes again (see stores/mongo/rotation.ts). Also the revocation list's source: it is never overwritten.
 */
export interface TombstoneDoc { _id: string, revokedAt: Date, expiresAt: Date }
export interface ClaimDoc { _id: string, at: Date, expiresAt: Date }

export const DUPLICATE_KEY = 11000
const NOT_IMPLEMENTED = 238
/** Claims only need to outlive the longest refresh session; MongoDB's TTL monitor removes them after that. */
export const CLAIM_RETENTION_MS = 400 * 86_400_000
/** A claim whose rotation has not landed after this long is abandoned and may be taken over. */
export const CLAIM_STALE_MS = 5000
/** First and largest interval between a waiting caller's checks for a concurrent claim holder's rotation. */
export const CLAIM_WAIT_STEP_MS = 25
export const CLAIM_WAIT_MAX_STEP_MS = 200
/** Seconds a client should wait before retrying after a 503. */
const RETRY_AFTER = 5

export function toUser ({ _id, ...rest }: UserDoc): UserRecord {
  return { id: _id, ...rest }
}

export function toSession ({ _id, ...rest }: SessionDoc): SessionRecord {
  return { id: _id, ...rest }
}

export function liveFilter (now: Date, idleSince?: Date): Record<string, unknown> {
  const filter: Record<string, unknown> = { revokedAt: null, expiresAt: { $gt: now } }
  if (idleSince !== undefined) filter.lastUsedAt = { $gt: idleSince }
  return filter
}

export function unavailable (cause: unknown): unknown {
  // A driver that is not installed, or a url it refuses, is no outage: a 503 with Retry-After would promise a
  // recovery that never comes.
  if (cause instanceof AuthError || cause instanceof MissingPeerError || isStoreConfigurationError(cause)) return cause
  return new AuthError('AUTH_STORE_UNAVAILABLE', { cause, retryAfter: RETRY_AFTER })
}

/** Creates every index (idempotent: createIndex with an identical spec is a no-op). */
export interface Collections {
  users: Collection<UserDoc>
  sessions: Collection<SessionDoc>
  devices: Collection<DeviceDoc>
  claims: Collection<ClaimDoc>
  tombstones: Collection<TombstoneDoc>
  networks: Collection<NetworksDoc>
  oneTimeTokens: Collection<OneTimeTokenDoc>
}

export async function createIndexes ({ users, sessions, devices, claims, tombstones, networks, oneTimeTokens }: Collections): Promise<void> {
  await users.createIndex({ emailNormalized: 1 }, { unique: true, name: 'emailNormalized_unique' }, undefined)
  // The admin user list's order (newest first, ties by id): pages read from the index, never a sort of every user.
  await users.createIndex({ createdAt: -1, _id: -1 }, { name: 'createdAt_id' }, undefined)
  await sessions.createIndex({ tokenHash: 1 }, { unique: true, name: 'tokenHash_unique' }, undefined)
  await sessions.createIndex({ previousHashes: 1 }, { name: 'previousHashes' }, undefined)
  // The session list's filter and sort (newest first, ties by id): no in-memory sort of a user's sessions. Its
  // prefix serves every other query by userId, so the plain { userId: 1 } index of earlier versions is dropped.
  await sessions.createIndex({ userId: 1, createdAt: -1, _id: -1 }, { name: 'userId_createdAt_id' }, undefined)
  await dropIndexIfPresent(sessions, 'userId')
  await sessions.createIndex({ familyId: 1 }, { name: 'familyId' }, undefined)
  await sessions.createIndex({ revokedAt: 1 }, { name: 'revokedAt' }, undefined)
  // Housekeeping only (MongoDB's monitor runs every 60 s; FerretDB v1 never expires): queries filter themselves.
  await ttlIndex(sessions)
  await ttlIndex(claims)
  await ttlIndex(tombstones)
  // The prune after a new network reads one user's networks, most recently seen first.
  await networks.createIndex({ userId: 1, lastSeenAt: -1 }, { name: 'userId_lastSeenAt' }, undefined)
  await ttlIndex(networks)
  // A reset voids the user's other reset tokens (deleteMany by user and purpose).
  await oneTimeTokens.createIndex({ userId: 1, purpose: 1 }, { name: 'userId_purpose' }, undefined)
  await ttlIndex(oneTimeTokens)
  await tombstones.createIndex({ revokedAt: 1 }, { name: 'revokedAt' }, undefined)
  await devices.createIndex({ userId: 1, deviceId: 1 }, { unique: true, name: 'userId_deviceId_unique' }, undefined)
}

/** Drops an index an earlier version created; another instance dropping it at the same moment is no failure. */
export async function dropIndexIfPresent<T extends Document> (collection: Collection<T>, name: string): Promise<void> {
  if (!await collection.indexExists(name)) return
  try {
    await collection.dropIndex(name)
  } catch (error) {
    if (await collection.indexExists(name)) throw error
  }
}

export async function ttlIndex<T extends Document> (collection: Collection<T>): Promise<void> {
  try {
    await collection.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' }, undefined)
  } catch (error) {
    // FerretDB v1 refuses TTL options (NotImplemented): a plain index still serves the expiry filters.
    if ((await serverErrorCode(error)) !== NOT_IMPLEMENTED) throw error
    await collection.createIndex({ expiresAt: 1 }, { name: 'expiresAt' }, undefined)
  }
}
