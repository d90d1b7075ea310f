// The cap on a session's `previousHashes` (MAX_PREVIOUS_HASHES) on every MongoDB-wire server. The rotation pushes
// with `$slice`, which MongoDB and mongo-java-server honour; FerretDB v1 accepts it and silently ignores it (issue
// #17: after 110 refreshes a session held 110 hashes). So the store asks the server once, at connect, on a scratch
// document, and where `$slice` is not honoured (ignored or refused) it pushes without it and trims in code.
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import { MongoServerError, type Collection } from 'mongodb'
import type { ClaimDoc, SessionDoc } from './mongo-schema.js'
import { MAX_PREVIOUS_HASHES, type SessionRecord } from './store.js'

export interface StoreLogger {
  warn: (object: Record<string, unknown>, message: string) => void
}

/** A scratch document in the rotations collection (it has a TTL index, so a probe left behind is tidied up). */
type ProbeDoc = ClaimDoc & { probe: string[] }

/**
 * Whether the server applies `$push` with `$each` and `$slice`, read back from the stored document. Network errors
 * reject (the store's init is retried); a server error on the update itself means "not honoured".
 */
export async function serverHonoursSlice (claims: Collection<ClaimDoc>, maxTimeMS: number): Promise<boolean> {
  const scratch = claims as unknown as Collection<ProbeDoc>
  const now = new Date()
  const _id = `authgate-probe:${randomUUID()}`
  await scratch.insertOne({ _id, at: now, expiresAt: new Date(now.getTime() + 60_000), probe: ['a', 'b'] }, { maxTimeMS })
  try {
    try {
      await scratch.updateOne({ _id }, { $push: { probe: { $each: ['c'], $slice: -2 } } }, { maxTimeMS })
    } catch (error) {
      if (error instanceof MongoServerError) return false
      throw error
    }
    const stored = await scratch.findOne({ _id }, { projection: { probe: 1 }, maxTimeMS })
    return isDeepStrictEqual(stored?.probe, ['b', 'c'])
  } finally {
    await scratch.deleteOne({ _id }, { maxTimeMS }).catch(() => undefined)
  }
}

export function logSliceIgnored (logger: StoreLogger | undefined): void {
  logger?.warn({ event: 'store_slice_ignored', maxPreviousHashes: MAX_PREVIOUS_HASHES },
    'authgate: the MongoDB server does not apply $slice; the session store caps previousHashes itself')
}

/** The `$push` of a rotation: with `$slice` where the server honours it, plain where the store trims afterwards. */
export function pushRetiredHash (hash: string, sliceHonoured: boolean): { previousHashes: { $each: string[], $slice?: number } } {
  return { previousHashes: sliceHonoured ? { $each: [hash], $slice: -MAX_PREVIOUS_HASHES } : { $each: [hash] } }
}

/**
 * Trims a just-rotated session's history to the newest MAX_PREVIOUS_HASHES, when the server left it longer. The
 * write is conditional on the session still holding the token this rotation issued: if a later rotation got in first,
 * it left the history longer still and trims it itself, so no write here can undo a later one.
 */
export async function capPreviousHashes (sessions: Collection<SessionDoc>, record: SessionRecord, maxTimeMS: number): Promise<SessionRecord> {
  if (record.previousHashes.length <= MAX_PREVIOUS_HASHES) return record
  const kept = record.previousHashes.slice(-MAX_PREVIOUS_HASHES)
  await sessions.updateOne({ _id: record.id, tokenHash: record.tokenHash }, { $set: { previousHashes: kept } }, { maxTimeMS })
  return { ...record, previousHashes: kept }
}
