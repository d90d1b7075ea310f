// The user's network record (stores/ip-memory.ts) in MongoDB: one document per user, changed by read, decide, then a
// compare-and-swap on `version`. No transactions and no update operators beyond a whole-document replace, so FerretDB
// and mongo-java-server keep the bound on `networks` exactly as MongoDB does (the invariant is on the stored document).
import { MongoServerError, type Collection } from 'mongodb'
import { applySighting, networksExpireAt, type NetworkEntry, type NetworkSighting, type NetworkVerdict, type UserNetworks } from './ip-memory.js'
import { DUPLICATE_KEY } from './mongo-schema.js'

export interface NetworksDoc {
  _id: string
  lastIp: string
  lastSeenAt: Date
  networks: NetworkEntry[]
  /** Bumped by every write: the compare-and-swap of concurrent sightings of one user. */
  version: number
  /** Housekeeping (TTL index); reads never depend on it. */
  expiresAt: Date
}

/** Concurrent sightings of one user are rare (two logins in the same instant): a few retries settle them. */
const MAX_ATTEMPTS = 4

export async function recordNetwork (collection: Collection<NetworksDoc>, seen: NetworkSighting, maxTimeMS: number): Promise<NetworkVerdict> {
  for (let attempt = 1; ; attempt++) {
    const doc = await collection.findOne({ _id: seen.userId }, { maxTimeMS })
    const { next, verdict } = applySighting(doc === null ? null : toNetworks(doc), seen)
    const written: NetworksDoc = {
      _id: seen.userId, lastIp: next.lastIp, lastSeenAt: next.lastSeenAt, networks: next.networks,
      version: (doc?.version ?? 0) + 1, expiresAt: networksExpireAt(next, seen.memoryMs)
    }
    if (doc === null) {
      try {
        await collection.insertOne(written, { maxTimeMS })
        return verdict
      } catch (error) {
        // Another sighting of the same user created the record first: decide again against it.
        if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY) || attempt >= MAX_ATTEMPTS) throw error
        continue
      }
    }
    const result = await collection.replaceOne({ _id: seen.userId, version: doc.version }, written, { maxTimeMS })
    if (result.matchedCount === 1) return verdict
    if (attempt >= MAX_ATTEMPTS) throw new Error('the network record kept changing under concurrent sightings')
  }
}

export async function findNetworks (collection: Collection<NetworksDoc>, userId: string, maxTimeMS: number): Promise<UserNetworks | null> {
  const doc = await collection.findOne({ _id: userId }, { maxTimeMS })
  return doc === null ? null : toNetworks(doc)
}

function toNetworks (doc: NetworksDoc): UserNetworks {
  return {
    userId: doc._id,
    lastIp: doc.lastIp,
    lastSeenAt: doc.lastSeenAt,
    networks: doc.networks.map((entry) => ({ network: entry.network, ip: entry.ip, lastSeenAt: entry.lastSeenAt }))
  }
}
