// Step 1 of a rotation on MongoDB-wire servers (stores/mongo/rotation.ts): claim the token, or wait for the caller that
// holds the claim. Every 503 of this path carries a RotationUnavailableError as its cause, so logs (and tests) can
// tell a winner that ran out of budget from a loser whose wait expired (a store call past its deadline carries the
// connection's StoreDeadlineError instead).
import { setTimeout as delay } from 'node:timers/promises'
import type { Collection } from 'mongodb'
import { serverErrorCode } from './driver.js'
import { AuthError } from '../../errors.js'
import {
  CLAIM_RETENTION_MS, CLAIM_STALE_MS, CLAIM_WAIT_MAX_STEP_MS, CLAIM_WAIT_STEP_MS, DUPLICATE_KEY, liveFilter, type ClaimDoc, type SessionDoc
} from './schema.js'
import type { RotateInput } from '../store.js'

/** A waiting caller checks whether the claim it waits on still exists once every this many polls. */
const CLAIM_RECHECK_POLLS = 3

export type RotationUnavailableReason =
  /** This caller held the claim (or could take it again) but its budget ran out before the swap. */
  | 'winner-out-of-budget'
  /** A concurrent holder's rotation did not land within this caller's budget. */
  | 'wait-expired'

/** The cause of a 503 the rotation answers on its own. */
export class RotationUnavailableError extends Error {
  readonly reason: RotationUnavailableReason

  constructor (reason: RotationUnavailableReason) {
    super(reason === 'winner-out-of-budget'
      ? 'the rotation budget ran out before the swap'
      : 'a concurrent rotation of this token did not land within the budget')
    this.name = 'RotationUnavailableError'
    this.reason = reason
  }
}

export function rotationUnavailable (reason: RotationUnavailableReason): AuthError {
  return new AuthError('AUTH_STORE_UNAVAILABLE', { cause: new RotationUnavailableError(reason), retryAfter: Math.ceil(CLAIM_STALE_MS / 1000) })
}

/** What is left of the rotation's budget for one more call; a 503 with `reason` once it is spent. */
export function remainingBudget (deadline: number, reason: RotationUnavailableReason): number {
  const remaining = deadline - Date.now()
  if (remaining <= 0) throw rotationUnavailable(reason)
  return remaining
}

/**
 * Claims the token for this caller. True: this caller rotates. False: a concurrent caller did, or no live session
 * holds the token (either way the grace path decides). A holder that gives up (it deletes its claim) while this
 * caller waits is claimed again, within the same budget.
 */
export async function claimRotation (
  sessions: Collection<SessionDoc>, claims: Collection<ClaimDoc>, input: RotateInput, deadline: number, maxTimeMS: number
): Promise<boolean> {
  for (;;) {
    // An insert under a unique `_id` is atomic on every MongoDB-wire server. The conditional update alone is not
    // enough there: FerretDB v1 evaluates findAndModify as a read then a write, and two concurrent callers could
    // both rotate (measured: 2 winners out of 50).
    try {
      const claim = { _id: input.currentHash, at: input.now, expiresAt: new Date(input.now.getTime() + CLAIM_RETENTION_MS) }
      await claims.insertOne(claim, { maxTimeMS: remainingBudget(deadline, 'winner-out-of-budget') })
      return true
    } catch (error) {
      if ((await serverErrorCode(error)) !== DUPLICATE_KEY) throw error
    }
    // A stale claim: its holder died, or lost the database mid-rotation and could not release it. It is taken over
    // at once (one taker wins the conditional update). Trying this first matters: waiting for a rotation that will
    // never land would spend the whole budget, and the token would stay blocked on every retry.
    const taken = await claims.findOneAndUpdate(
      { _id: input.currentHash, at: { $lt: new Date(input.now.getTime() - CLAIM_STALE_MS) } },
      { $set: { at: input.now } },
      { maxTimeMS: remainingBudget(deadline, 'winner-out-of-budget') }
    )
    if (taken !== null) return true
    // A young claim: a concurrent caller is rotating. Wait for its update so this caller takes the grace path;
    // if it has not landed within the wait, this token has an outage (503, retry), never a 401 that logs out.
    // The wait may use the rest of the budget: under a refresh storm the winner's swap can take over a second.
    const outcome = await awaitRotation(sessions, claims, input, deadline, maxTimeMS)
    if (outcome === 'rotated') return false
    if (outcome === 'expired') throw rotationUnavailable('wait-expired')
  }
}

/**
 * Waits until the claim holder's update has landed, so the caller's next read (findByPreviousHash) sees the rotation
 * and takes the grace path instead of reading the token as unknown. 'rotated' once no live session holds the token
 * as current (rotated, or never live); 'released' if the holder gave up (its claim is gone, the token still
 * current); 'expired' if neither happened within the budget.
 */
async function awaitRotation (
  sessions: Collection<SessionDoc>, claims: Collection<ClaimDoc>, input: RotateInput, until: number, maxTimeMS: number
): Promise<'rotated' | 'released' | 'expired'> {
  const filter = { tokenHash: input.currentHash, ...liveFilter(input.now, input.idleSince) }
  // Bounded by the rotation's deadline, not by a number of polls: on a slow server 40 polls of up to maxTimeMS each
  // would hold a request for minutes. Each poll may take at least CLAIM_WAIT_MAX_STEP_MS, so the one after the last
  // (shortened) sleep still has a chance to answer: it is the one that sees a swap landing in that sleep.
  // The poll interval backs off (25 ms doubling to 200 ms): a storm of waiting losers polling every 25 ms sent
  // thousands of queries a second to the server that the winner needed for its own swap.
  const pollTime = (): number => Math.min(maxTimeMS, Math.max(CLAIM_WAIT_MAX_STEP_MS, until - Date.now()))
  let step = CLAIM_WAIT_STEP_MS
  for (let poll = 1; ; poll++) {
    if (await sessions.countDocuments(filter, { limit: 1, maxTimeMS: pollTime() }) === 0) return 'rotated'
    if (Date.now() >= until) return 'expired'
    if (poll % CLAIM_RECHECK_POLLS === 0 && await claims.countDocuments({ _id: input.currentHash }, { limit: 1, maxTimeMS: pollTime() }) === 0) {
      return 'released'
    }
    const remaining = until - Date.now()
    if (remaining <= 0) return 'expired'
    await delay(Math.min(step, remaining))
    step = Math.min(step * 2, CLAIM_WAIT_MAX_STEP_MS)
  }
}
