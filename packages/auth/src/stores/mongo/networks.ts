// The user's networks (stores/ip-memory.ts) in MongoDB: one small document per (user, network) and one per user for
// the last address. Each sighting upserts its own documents, so concurrent sightings of one user from different
// networks never overwrite each other, even on servers whose updates are read-modify-write (FerretDB v1), with no
// transaction. The bound per user is kept by deleting whatever is past `maxNetworks` or past the memory after every
// sighting that added a network (asserted on the stored documents by the contract suite, on every server).
import type { Collection } from 'mongodb'
import { serverErrorCode } from './driver.js'
import { networksExpireAt, type NetworkSighting, type NetworkVerdict, type UserNetworks } from '../ip-memory.js'
import { DUPLICATE_KEY } from './schema.js'

/**
 * `_id` `userId|network` with `userId` set: a network of the user's. `_id` `userId|` (no `userId` field, so queries
 * by user never see it): the user's last sighting. A network never holds `|` and never ends the id empty, so no two
 * users' ids can meet whatever their user ids hold; NUL, which FerretDB on PostgreSQL refuses in strings, is not used.
 */
export interface NetworksDoc {
  _id: string
  userId?: string
  network?: string
  ip: string
  lastSeenAt: Date
  /** The user's document only: the network and time of the user's first sighting (see recordNetwork). */
  firstNetwork?: string
  firstSeenAt?: Date
  /** Housekeeping (TTL index); reads filter on lastSeenAt themselves. */
  expiresAt: Date
}

/** Told when the bound could not be kept after a sighting (the verdict stands: the next added network prunes again). */
export type PruneFailed = (error: unknown) => void

/**
 * How far apart (by request time) two sightings can be and still count as the account's first moments: concurrent
 * requests are stamped milliseconds apart; 10 s allows for slow ones without hiding a genuine return much later.
 */
const FIRST_MOMENTS_MS = 10_000

export async function recordNetwork (collection: Collection<NetworksDoc>, seen: NetworkSighting, maxTimeMS: number, pruneFailed: PruneFailed = () => {}): Promise<NetworkVerdict> {
  const forgetBefore = new Date(seen.now.getTime() - seen.memoryMs)
  const last = await collection.findOneAndUpdate(
    { _id: lastSightingId(seen.userId) },
    {
      $set: { ip: seen.ip, lastSeenAt: seen.now, expiresAt: networksExpireAt({ lastSeenAt: seen.now }, seen.memoryMs) },
      $setOnInsert: { firstNetwork: seen.network, firstSeenAt: seen.now }
    },
    { upsert: true, returnDocument: 'before', maxTimeMS }
  ).catch(ignoreDuplicate)
  const before = await collection.findOneAndUpdate(
    { _id: networkId(seen.userId, seen.network) },
    { $set: { userId: seen.userId, network: seen.network, ip: seen.ip, lastSeenAt: seen.now, expiresAt: new Date(seen.now.getTime() + seen.memoryMs) } },
    { upsert: true, returnDocument: 'before', maxTimeMS }
  ).catch(ignoreDuplicate)
  // `undefined`: a concurrent sighting of the same network created it first (the unique _id): known.
  const added = before === null || (before !== undefined && before.lastSeenAt <= forgetBefore)
  // Best effort: the network is stored already, so failing here would lose the notification for good (the next
  // sighting finds it known). A bound missed once is kept by the next sighting that adds a network.
  if (added) await prune(collection, seen, forgetBefore, maxTimeMS).catch(pruneFailed)
  // A concurrent first sighting of the user (duplicate _id) is the account's first moments as well: no news.
  const previousIp = last?.ip ?? null
  // Two first sightings at once from one network: the second may see the first's address on the user's document
  // yet create the network's document itself (the two upserts interleave). The network the user was first seen in,
  // shortly after (and within the memory), is the account's first moments too, not news. Only shortly: that first
  // network evicted later by maxNetworks and seen again is news like any other.
  const firstMoments = last?.firstNetwork === seen.network && last.firstSeenAt !== undefined && last.firstSeenAt > forgetBefore &&
    seen.now.getTime() - last.firstSeenAt.getTime() < FIRST_MOMENTS_MS
  return { isNew: added && previousIp !== null && !firstMoments, previousIp }
}

/** Deletes the user's networks past the memory, then the least recently seen past the bound. */
async function prune (collection: Collection<NetworksDoc>, seen: NetworkSighting, forgetBefore: Date, maxTimeMS: number): Promise<void> {
  const docs = await collection.find({ userId: seen.userId }, { projection: { _id: 1, lastSeenAt: 1 }, maxTimeMS }).sort({ lastSeenAt: -1, _id: 1 }).toArray()
  const drop = docs.filter((doc, index) => index >= Math.max(1, seen.maxNetworks) || doc.lastSeenAt <= forgetBefore).map((doc) => doc._id)
  if (drop.length > 0) await collection.deleteMany({ _id: { $in: drop } }, { maxTimeMS })
}

function networkId (userId: string, network: string): string {
  return `${userId}|${network}`
}

function lastSightingId (userId: string): string {
  return `${userId}|`
}

// The driver is an optional peer, loaded when a MongoDB store is configured: never imported here for its classes.
async function ignoreDuplicate (error: unknown): Promise<undefined> {
  if (await serverErrorCode(error) === DUPLICATE_KEY) return undefined
  throw error
}

export async function findNetworks (collection: Collection<NetworksDoc>, userId: string, maxTimeMS: number): Promise<UserNetworks | null> {
  const last = await collection.findOne({ _id: lastSightingId(userId) }, { maxTimeMS })
  if (last === null) return null
  // A network's expiresAt is its lastSeenAt plus the memory: one past it is forgotten even before the TTL monitor
  // (which runs once a minute, or not at all on some servers) or the next new network's prune removes it.
  const docs = await collection.find({ userId, expiresAt: { $gt: new Date() } }, { maxTimeMS }).sort({ lastSeenAt: -1, _id: 1 }).toArray()
  return {
    userId,
    lastIp: last.ip,
    lastSeenAt: last.lastSeenAt,
    networks: docs.map((doc) => ({ network: doc.network ?? '', ip: doc.ip, lastSeenAt: doc.lastSeenAt }))
  }
}
