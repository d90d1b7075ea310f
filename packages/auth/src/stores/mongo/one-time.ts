// One-time tokens (password reset, email verification) in MongoDB: one document per token, keyed by the SHA-256 hex
// of its value, so a lookup is by `_id` and the value itself is never stored. Every read filters on the purpose and
// `expiresAt` itself (the TTL index only tidies up).
//
// Consumption must have one winner. A findOneAndDelete would be enough on MongoDB, but on servers whose writes are
// read-modify-write (FerretDB v1) two concurrent ones both return the document. What every server enforces is the
// unique `_id`: the consumer that inserts the token's `consumed:` marker first wins; the other gets a duplicate key.
import type { Collection } from 'mongodb'
import { serverErrorCode } from './driver.js'
import { DUPLICATE_KEY } from './schema.js'
import type { OneTimePurpose, OneTimeTokenRecord } from '../store.js'

/** `consumed`: the marker of a used token, kept until the token would have expired. */
export type OneTimeTokenDoc = Omit<OneTimeTokenRecord, 'hash' | 'purpose'> & { _id: string, purpose: OneTimePurpose | 'consumed' }

const CONSUMED_PREFIX = 'consumed:'

/** Expired tokens (and markers) removed per create: the TTL monitor's backlog is trimmed without a long write. */
export const EXPIRED_SWEEP_BATCH = 100

export async function createOneTimeToken (tokens: Collection<OneTimeTokenDoc>, token: OneTimeTokenRecord, maxTimeMS: number): Promise<void> {
  // The TTL monitor runs once a minute, and not at all on some servers (FerretDB v1): each create sweeps a bounded
  // batch of the expired, found through the expiresAt index, so a flood of requests cannot outgrow the cleanup.
  const now = token.createdAt
  const expired = await tokens.find({ expiresAt: { $lte: now } }, { projection: { _id: 1 }, limit: EXPIRED_SWEEP_BATCH, maxTimeMS }).toArray()
  if (expired.length > 0) await tokens.deleteMany({ _id: { $in: expired.map((doc) => doc._id) }, expiresAt: { $lte: now } }, { maxTimeMS })
  const { hash, ...rest } = token
  await tokens.insertOne({ _id: hash, ...rest }, { maxTimeMS })
}

export async function consumeOneTimeToken (tokens: Collection<OneTimeTokenDoc>, hash: string, purpose: OneTimePurpose, now: Date, maxTimeMS: number): Promise<OneTimeTokenRecord | null> {
  const doc = await tokens.findOne({ _id: hash, purpose, expiresAt: { $gt: now } }, { maxTimeMS })
  if (doc === null) return null
  try {
    await tokens.insertOne({ ...doc, _id: CONSUMED_PREFIX + hash, purpose: 'consumed' }, { maxTimeMS })
  } catch (error) {
    if ((await serverErrorCode(error)) === DUPLICATE_KEY) return null
    throw error
  }
  // A concurrent deleteOneTimeTokens (a reset voiding the user's other links) may have taken it after the read:
  // the void wins, the token is not used.
  const deleted = await tokens.deleteOne({ _id: hash }, { maxTimeMS })
  if (deleted.deletedCount === 0) return null
  const { _id, ...rest } = doc
  return { ...rest, hash: _id, purpose }
}

export async function deleteOneTimeTokens (tokens: Collection<OneTimeTokenDoc>, userId: string, purpose: OneTimePurpose, maxTimeMS: number): Promise<number> {
  const result = await tokens.deleteMany({ userId, purpose }, { maxTimeMS })
  return result.deletedCount
}
