// The cap on a session's `previousHashes` (MAX_PREVIOUS_HASHES) on every MongoDB-wire server. The rotation pushes
// with `$slice`, which MongoDB and mongo-java-server honour; FerretDB v1 accepts it and silently ignores it (issue
// #17: after 110 refreshes a session held 110 hashes). So the store asks the server once, at connect, on a scratch
// document, and where `$slice` is not honoured (ignored or refused) it writes the capped array itself.
import { randomUUID } from 'node:crypto'
import { isDeepStrictEqual } from 'node:util'
import type { Collection, Filter } from 'mongodb'
import { serverErrorCode } from './driver.js'
import type { ClaimDoc, SessionDoc } from './schema.js'
import { MAX_PREVIOUS_HASHES } from '../store.js'

export interface StoreLogger {
  warn: (object: Record<string, unknown>, message: string) => void
}

/** A scratch document in the rotations collection (it has a TTL index, so a probe left behind is tidied up). */
type ProbeDoc = ClaimDoc & { probe: string[] }

/**
 * Server error codes that mean "this update is not understood" (BadValue, FailedToParse, InvalidOptions,
 * CommandNotSupported, NotImplemented): a refusal of `$slice` itself. Any other error (NotWritablePrimary,
 * MaxTimeMSExpired, a network error) says nothing about `$slice`.
 */
const REFUSED_CODES = new Set([2, 9, 72, 115, 238])

/**
 * Whether the server applies `$push` with `$each` and `$slice`, read back from the stored document. Only a refusal
 * of the update (REFUSED_CODES) or a stored result without the slice means "not honoured"; every other error rejects,
 * so the store's preparation is tried again by its next operation, never settled on a transient failure for good.
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
      const code = await serverErrorCode(error)
      if (typeof code === 'number' && REFUSED_CODES.has(code)) return false
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

/**
 * The history part of a rotation's update, in the same single write as the swap (a second write after it could fail
 * after the rotation landed, or undo a later write on a read-modify-write server). Where the server honours `$slice`:
 * `$push` with it. Elsewhere: the capped array itself, from the history read now. That read is stable until the swap:
 * only a rotation of this token changes the history, the caller holds this token's claim, and the swap's filter on
 * the token hash refuses the write if the token moved anyway. null: no live session holds the token.
 */
export async function retiredHistoryUpdate (
  sessions: Collection<SessionDoc>, filter: Filter<SessionDoc>, hash: string, sliceHonoured: boolean, maxTimeMS: number
): Promise<HistoryUpdate | null> {
  if (sliceHonoured) return { $push: { previousHashes: { $each: [hash], $slice: -MAX_PREVIOUS_HASHES } } }
  const doc = await sessions.findOne(filter, { projection: { previousHashes: 1 }, maxTimeMS })
  if (doc === null) return null
  return { $set: { previousHashes: [...doc.previousHashes.slice(-(MAX_PREVIOUS_HASHES - 1)), hash] } }
}

export type HistoryUpdate = { $push: { previousHashes: { $each: string[], $slice: number } } } | { $set: { previousHashes: string[] } }
