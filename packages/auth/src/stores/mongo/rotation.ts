// The rotation compare-and-swap on MongoDB-wire servers. Exactly one of any number of concurrent callers presenting
// the same token rotates it; the others get null (and then take the grace path).
import type { Collection } from 'mongodb'
import { bulkWriteErrors, serverErrorCode } from './driver.js'
import { CLAIM_RETENTION_MS, DUPLICATE_KEY, liveFilter, toSession, type ClaimDoc, type SessionDoc, type TombstoneDoc } from './schema.js'
import { retiredHistoryUpdate } from './history-cap.js'
import { claimRotation, remainingBudget } from './rotation-claim.js'
import type { RotateInput, SessionRecord } from '../store.js'

/** `sliceHonoured`: whether the server applies `$slice` (stores/mongo/history-cap.ts); if not, the capped history is written by the swap itself. */
export async function rotateWithClaim (
  sessions: Collection<SessionDoc>, claims: Collection<ClaimDoc>, tombstones: Collection<TombstoneDoc>, input: RotateInput, maxTimeMS: number,
  sliceHonoured = true
): Promise<SessionRecord | null> {
  // One budget for the whole rotation, not one per call: the request answers 503 at the store's deadline anyway,
  // and work that goes on after that (a takeover, the swap) would retire the token its client still holds.
  const deadline = Date.now() + maxTimeMS
  // 1. Claim the retired hash (stores/mongo/rotation-claim.ts); a caller that does not get it takes the grace path.
  if (!await claimRotation(sessions, claims, input, deadline, maxTimeMS)) return null
  // 2. The compare-and-swap proper: the filter names the current hash and the session's liveness, in one
  //    atomic conditional update (never read-then-write). The history read first where `$slice` is ignored is no
  //    exception: only a rotation of this token changes it, and this caller holds the token's claim.
  try {
    const filter = { tokenHash: input.currentHash, ...liveFilter(input.now, input.idleSince) }
    const history = await retiredHistoryUpdate(sessions, filter, input.currentHash, sliceHonoured, remainingBudget(deadline, 'winner-out-of-budget'))
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
        { returnDocument: 'after', maxTimeMS: remainingBudget(deadline, 'winner-out-of-budget') }
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

/** Writes the tombstones of `ids` (idempotent: an id already revoked keeps its first revocation time). */
export async function recordTombstones (tombstones: Collection<TombstoneDoc>, ids: string[], now: Date, maxTimeMS: number, retentionMs = CLAIM_RETENTION_MS): Promise<void> {
  if (ids.length === 0) return
  const expiresAt = new Date(now.getTime() + retentionMs)
  try {
    await tombstones.insertMany(ids.map((id) => ({ _id: id, revokedAt: now, expiresAt })), { ordered: false, maxTimeMS })
  } catch (error) {
    if (!(await isOnlyDuplicates(error))) throw error
  }
}

async function isOnlyDuplicates (error: unknown): Promise<boolean> {
  const errors = await bulkWriteErrors(error)
  if (errors !== undefined) return errors.length > 0 && errors.every((item) => item.code === DUPLICATE_KEY)
  return (await serverErrorCode(error)) === DUPLICATE_KEY
}
