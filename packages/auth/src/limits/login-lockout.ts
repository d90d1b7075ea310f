// Which lockout counts a login attempt (docs/security.md D.53). The folded email (lockout-key.ts) always; and the
// user id the user source answered with: once a spelling has logged in, its failures also count against that id,
// and a login that resolves to a locked id is refused whatever spelling it came under — the source, not our
// spelling, decides who the account is (a legacy lookup may ignore case, accents or invisible characters).
//
// A spelling no login has linked yet is known by its id only after the password was verified. During the id's
// lockout the right password under such a spelling is answered exactly as a wrong one (401, counted as a failure
// of that spelling, not linked): a 429 there would tell the guesser the password was right. What remains: the
// spelling's own first attempts are not refused up front (its count is its own until linked), so a guesser gets
// up to `max` verifications per unlinked spelling during the id's lockout, each answered 401 whatever the password.
import { AuthError } from '../errors.js'
import type { AccountLockout } from './account-lockout.js'
import { lockoutEmailKey, lockoutUserKey } from './lockout-key.js'

export interface LoginAttempt {
  /** The verification did not conclude (an outage): nothing is counted. */
  abort: () => Promise<void>
  /** Wrong credentials: one failure for every key of the attempt. */
  failed: () => Promise<void>
  /**
   * Right credentials for `userId`: every key is forgiven and the spelling linked; but when that id is locked (and
   * was not reserved up front), AuthError 401 AUTH_INVALID_CREDENTIALS after counting a failure, as a wrong password.
   */
  succeeded: (userId: string) => Promise<void>
}

const NOTHING: LoginAttempt = { abort: async () => {}, failed: async () => {}, succeeded: async () => {} }

async function releaseAll (lockout: AccountLockout, keys: readonly string[]): Promise<void> {
  for (const key of keys) await lockout.release(key)
}

/**
 * Reserves the attempt before the password is checked (so the right password is refused during a lockout too);
 * rejects with AuthError 429 when a key is locked, 503 when the lockout state cannot count it.
 */
export async function beginLoginAttempt (lockout: AccountLockout | undefined, email: string): Promise<LoginAttempt> {
  if (lockout === undefined) return NOTHING
  const account = lockoutEmailKey(email)
  const linked = await lockout.linkedUser(account)
  const wanted = linked === undefined ? [account] : [account, lockoutUserKey(linked)]
  const reserved: string[] = []
  for (const key of wanted) {
    let wait: number
    try {
      wait = await lockout.reserve(key)
    } catch (error) {
      await releaseAll(lockout, reserved)
      throw error
    }
    if (wait > 0) {
      await releaseAll(lockout, reserved)
      throw new AuthError('AUTH_RATE_LIMITED', { retryAfter: wait })
    }
    reserved.push(key)
  }
  return {
    abort: async () => releaseAll(lockout, reserved),
    async failed () {
      for (const key of reserved) await lockout.recordFailure(key)
    },
    async succeeded (userId) {
      const user = lockoutUserKey(userId)
      if (!reserved.includes(user)) {
        // A lockout that cannot answer ends the reservations uncounted (the password was right): an abandoned
        // Redis reservation would count as a failure once its lease ran out.
        const wait = await lockout.retryAfter(user).catch(async (error: unknown) => {
          await releaseAll(lockout, reserved)
          throw error
        })
        if (wait > 0) {
          for (const key of reserved) await lockout.recordFailure(key)
          throw new AuthError('AUTH_INVALID_CREDENTIALS')
        }
        // Forgiven without ending a reservation: any on this id belong to other attempts still in flight.
        await lockout.forgive(user)
      }
      for (const key of reserved) await lockout.recordSuccess(key)
      if (linked !== userId) await lockout.link(account, userId)
    }
  }
}
