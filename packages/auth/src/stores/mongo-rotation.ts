// The rotation compare-and-swap on MongoDB-wire servers. Exactly one of any number of concurrent callers presenting
// the same token rotates it; the others get null (and then take the grace path).
import { setTimeout as delay } from 'node:timers/promises'
import { MongoBulkWriteError, MongoServerError, type Collection, type WriteError } from 'mongodb'
import { AuthError } from '../errors.js'
import {
  CLAIM_RETENTION_MS, CLAIM_STALE_MS, CLAIM_WAIT_MAX_STEP_MS, CLAIM_WAIT_STEP_MS, DUPLICATE_KEY, liveFilter, toSession, type ClaimDoc, type SessionDoc,
  type TombstoneDoc
} from './mongo-schema.js'
import { retiredHistoryUpdate } from './mongo-history-cap.js'
import type { RotateInput, SessionRecord } from './store.js'

/** `sliceHonoured`: whether the server applies `$slice` (mongo-history-cap.ts); if not, the capped history is written by the swap itself. */
export async function rotateWithClaim (
  sessions: Collection<SessionDoc>, claims: Collection<ClaimDoc>, tombstones: Collection<TombstoneDoc>, input: RotateInput, maxTimeMS: number,
  sliceHonoured = true
): Promise<SessionRecord | null> {
  // One budget for the whole rotation, not one per call: the request answers 503 at the store's deadline anyway,
  // and work that goes on after that (a takeover, the swap) would retire the token its client still holds.
  const deadline = Date.now() + maxTimeMS
  // 1. Claim the retired hash: an insert under a unique `_id` is atomic on every MongoDB-wire server. The
  //    conditional update alone is not enough there: FerretDB v1 evaluates findAndModify as a read then a
  //    write, and two concurrent callers could both rotate (measured: 2 winners out of 50).
  try {
    await claims.insertOne({ _id: input.currentHash, at: input.now, expiresAt: new Date(input.now.getTime() + CLAIM_RETENTION_MS) }, { maxTimeMS })
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error
    // A stale claim: its holder died, or lost the database mid-rotation and could not release it. It is taken over
    // at once (one taker wins the conditional update). Trying this first matters: waiting for a rotation that will
    // never land would spend the whole budget, and the token would stay blocked on every retry.
    const taken = await claims.findOneAndUpdate(
      { _id: input.currentHash, at: { $lt: new Date(input.now.getTime() - CLAIM_STALE_MS) } },
      { $set: { at: input.now } },
      { maxTimeMS }
    )
    if (taken === null) {
      // A young claim: a concurrent caller is rotating. Wait for its update so this caller takes the grace path;
      // if it has not landed within the wait, this token has an outage (503, retry), never a 401 that logs out.
      // The wait may use the rest of the budget: under a refresh storm the winner's swap can take over a second.
      if (await awaitRotation(sessions, input, deadline, maxTimeMS)) return null
      throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: Math.ceil(CLAIM_STALE_MS / 1000) })
    }
  }
  // 2. The compare-and-swap proper: the filter names the current hash and the session's liveness, in one
  //    atomic conditional update (never read-then-write). The history read first where `$slice` is ignored is no
  //    exception: only a rotation of this token changes it, and this caller holds the token's claim.
  try {
    const filter = { tokenHash: input.currentHash, ...liveFilter(input.now, input.idleSince) }
    const history = await retiredHistoryUpdate(sessions, filter, input.currentHash, sliceHonoured, remainingBudget(deadline))
    const doc = history === null
      ? null
      : await sessions.findOneAndUpdate(
        filter,
        {
          $set: {
            tokenHash: input.nextHash, grace: input.grace, lastUsedAt: input.now, ip: input.ip, userAgent: input.userAgent,
            ...('$set' in history ? history.$set : {})
          },
          ...('$push' in history ? { $push: history.$push } : {})
        },
        // Within what is left of the budget, so the swap cannot land after the request has answered 503.
        { returnDocument: 'after', maxTimeMS: remainingBudget(deadline) }
      )
    if (doc === null) {
      // Nothing matched: the hash is unknown, retired, revoked or expired, and nobody will ever rotate it. Drop the
      // claim, or every random cookie would leave a row in `rotations` (FerretDB never expires them).
      await claims.deleteOne({ _id: input.currentHash }, { maxTimeMS }).catch(() => undefined)
      return null
    }
    // 3. A revocation that raced this update may have been overwritten by it (read-modify-write servers); its
    //    tombstone was written first, so it is visible now: revoke again and refuse the rotation.
    const tombstone = await tombstones.findOne({ _id: doc._id }, { maxTimeMS })
    if (tombstone !== null) {
      await sessions.updateOne({ _id: doc._id }, { $set: { revokedAt: tombstone.revokedAt, grace: null } }, { maxTimeMS })
      return null
    }
    return toSession(doc)
  } catch (error) {
    // Outcome unknown: release the claim so the client's retry can proceed. The update filter re-checks the
    // current hash, so a retry after an applied rotation finds the token retired (the grace path), never twice.
    await claims.deleteOne({ _id: input.currentHash }, { maxTimeMS }).catch(() => undefined)
    throw error
  }
}

/** What is left of the rotation's budget, for one more call; 503 once it is spent. */
function remainingBudget (deadline: number): number {
  const remaining = deadline - Date.now()
  if (remaining <= 0) throw new AuthError('AUTH_STORE_UNAVAILABLE', { retryAfter: Math.ceil(CLAIM_STALE_MS / 1000) })
  return remaining
}

/**
 * A concurrent caller holds the claim: wait (briefly) until its update has landed, so the caller's next read
 * (findByPreviousHash) sees the rotation and takes the grace path instead of reading the token as unknown.
 * True once no live session holds the token as current (rotated, or never live); false if it still does.
 */
async function awaitRotation (sessions: Collection<SessionDoc>, input: RotateInput, until: number, maxTimeMS: number): Promise<boolean> {
  const filter = { tokenHash: input.currentHash, ...liveFilter(input.now, input.idleSince) }
  // Bounded by the rotation's deadline, not by a number of polls: on a slow server 40 polls of up to maxTimeMS each
  // would hold a request for minutes.
  // The poll interval backs off (25 ms doubling to 200 ms): a storm of waiting losers polling every 25 ms sent
  // thousands of queries a second to the server that the winner needed for its own swap.
  let step = CLAIM_WAIT_STEP_MS
  for (let remaining = until - Date.now(); remaining > 0; remaining = until - Date.now()) {
    const pending = await sessions.countDocuments(filter, { limit: 1, maxTimeMS: Math.max(1, Math.min(maxTimeMS, remaining)) })
    if (pending === 0) return true
    await delay(Math.min(step, Math.max(0, until - Date.now())))
    step = Math.min(step * 2, CLAIM_WAIT_MAX_STEP_MS)
  }
  return false
}

/** Writes the tombstones of `ids` (idempotent: an id already revoked keeps its first revocation time). */
export async function recordTombstones (tombstones: Collection<TombstoneDoc>, ids: string[], now: Date, maxTimeMS: number): Promise<void> {
  if (ids.length === 0) return
  const expiresAt = new Date(now.getTime() + CLAIM_RETENTION_MS)
  try {
    await tombstones.insertMany(ids.map((id) => ({ _id: id, revokedAt: now, expiresAt })), { ordered: false, maxTimeMS })
  } catch (error) {
    if (!isOnlyDuplicates(error)) throw error
  }
}

function isOnlyDuplicates (error: unknown): boolean {
  if (error instanceof MongoBulkWriteError) {
    const errors = ([] as WriteError[]).concat(error.writeErrors)
    return errors.length > 0 && errors.every((item) => item.code === DUPLICATE_KEY)
  }
  return error instanceof MongoServerError && error.code === DUPLICATE_KEY
}
