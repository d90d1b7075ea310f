// Per-account brute-force protection (OWASP Authentication cheat sheet, docs/security.md D.53): after `max` failed
// logins within `windowMs`, the account answers 429 + Retry-After to every login, from any IP and also for the
// right password (no oracle), for a lockout that doubles on each repeat (30 s, 1 min, 2 min… capped at the window),
// never permanently. Kept in process memory, bounded; with several instances each counts on its own, unless
// `rateLimit.redis` is set (account-lockout-redis.ts: the same semantics, shared). The interface is async for that one.
// Accounts are the keys of lockout-key.ts (a folded email, a user id); login-lockout.ts decides which to count.
//
// The bound never resets a count: only entries that no longer count anything are shed, and when every slot holds
// a live count, new accounts are refused (503 + Retry-After) rather than a partly locked account forgotten — an
// attacker filling the map with other accounts' failures must not buy the victim a fresh budget.
// A reservation needs a slot even for an account with no failures (and even if its password turns out right): the
// outcome is unknown until verified, and a wrong password verified without a slot to count it in would be answered
// 503 after the check where a right one gets 200 — an uncounted guess and an oracle. So the refusal comes up front.
// Only attempts end slot-less: a success or release deletes an entry that counts nothing, freeing its slot at once.
import { AuthError } from '../errors.js'

export interface LockoutRule {
  max: number
  timeWindowMs: number
}

interface Entry {
  failures: number
  windowStart: number
  lockedUntil: number
  lockouts: number
  lastFailure: number
  /** Logins of this account being verified right now (reserved, outcome unknown). */
  pending: number
}

export const BASE_LOCKOUT_MS = 30_000
const MAX_ENTRIES = 100_000
/** Oldest entries looked at for one to shed before a full sweep (bounded work per login while the map is full). */
const SHED_SCAN = 64
/** A full sweep of the map runs at most this often. */
const SWEEP_EVERY_MS = 1000
/** Retry-After (s) when every slot holds a live count. */
export const FULL_RETRY_S = 60
/** How long a link (account → user id) is kept: it must outlive the quiet stretches between a user's logins. */
export const LINK_TTL_MS = 30 * 86_400_000
/** Retry-After (s) for an attempt refused because earlier ones are still being verified and may use up the budget. */
export const PENDING_RETRY_S = 1

export interface AccountLockout {
  /** Seconds until the account may try again, or 0 when it may try now. */
  retryAfter: (account: string) => Promise<number>
  /**
   * Reserves one attempt BEFORE the password is verified: 0 when reserved, else the seconds to wait. A reserved
   * attempt ends with exactly one of recordFailure, recordSuccess (which end the reservation in the same step as they
   * count, so an attempt is never momentarily counted as neither) or release (the verification did not conclude). Failures plus attempts in flight never exceed `max`, so parallel guesses cannot all
   * be verified before the first failure is recorded (docs/security.md D.53). Rejects with AuthError (503) when the
   * shared state cannot be reached: never an unlimited attempt.
   */
  reserve: (account: string) => Promise<number>
  /** Ends a reservation uncounted. Never rejects: a reservation left behind only holds its slot a while longer. */
  release: (account: string) => Promise<void>
  /** Counts a failure (ending the caller's reservation, if any). Rejects (503) when the failure cannot be counted. */
  recordFailure: (account: string) => Promise<void>
  /** Forgives earlier failures (ending the caller's reservation). Never rejects: unforgiven failures keep counting. */
  recordSuccess: (account: string) => Promise<void>
  /**
   * Forgives earlier failures of an account this attempt did not reserve: reservations (other attempts in flight)
   * are left alone. Never rejects.
   */
  forgive: (account: string) => Promise<void>
  /** The user id a login of `account` last resolved to, if known. Rejects (503) when the shared state cannot answer. */
  linkedUser: (account: string) => Promise<string | undefined>
  /** Remembers that `account` resolved to `userId` (kept LINK_TTL_MS). Never rejects: a lost link only narrows. */
  link: (account: string, userId: string) => Promise<void>
}

function full (): AuthError {
  return new AuthError('AUTH_STORE_UNAVAILABLE', { message: 'Too many accounts are being tried at once, retry later', retryAfter: FULL_RETRY_S })
}

export function createAccountLockout (rule: LockoutRule, now: () => number = Date.now, maxEntries = MAX_ENTRIES): AccountLockout {
  const entries = new Map<string, Entry>()
  const links = new Map<string, { userId: string, until: number }>()
  let lastSweep = Number.NEGATIVE_INFINITY
  const lockoutMs = (lockouts: number): number => Math.min(rule.timeWindowMs, BASE_LOCKOUT_MS * 2 ** Math.min(lockouts - 1, 20))
  const fresh = (time: number): Entry => ({ failures: 0, windowStart: time, lockedUntil: 0, lockouts: 0, lastFailure: time, pending: 0 })

  /** The account's entry with old failures forgiven; undefined when nothing is known about it. */
  function current (account: string, time: number): Entry | undefined {
    const entry = entries.get(account)
    if (entry === undefined) return undefined
    // Repeat offences double the lockout only while they keep coming; a quiet window forgives them.
    if (time - entry.lastFailure > 2 * rule.timeWindowMs && entry.lockedUntil <= time) {
      Object.assign(entry, fresh(time), { pending: entry.pending })
    }
    if (time - entry.windowStart > rule.timeWindowMs) {
      entry.failures = 0
      entry.windowStart = time
    }
    return entry
  }

  /** True when the entry counts nothing any more: no attempt in flight, no lockout running, nothing a repeat
   * offence could still double, no failure left in its window. Only such entries are ever shed. */
  function spent (entry: Entry, time: number): boolean {
    return entry.pending === 0 && entry.lockedUntil <= time &&
      (entry.failures === 0 || time - entry.windowStart > rule.timeWindowMs) &&
      (entry.lockouts === 0 || time - entry.lastFailure > 2 * rule.timeWindowMs)
  }

  /** Makes room for one more account by shedding a spent entry: the oldest few first (the map is ordered by last
   * failure), else a full sweep at most once a second. False when every entry still counts. */
  function makeRoom (time: number): boolean {
    if (entries.size < maxEntries) return true
    let looked = 0
    for (const [account, entry] of entries) {
      if (spent(entry, time)) {
        entries.delete(account)
        return true
      }
      if (++looked >= SHED_SCAN) break
    }
    if (time - lastSweep < SWEEP_EVERY_MS) return false
    lastSweep = time
    for (const [account, entry] of entries) if (spent(entry, time)) entries.delete(account)
    return entries.size < maxEntries
  }

  /** The account's entry, created if needed; throws 503 when no slot is free (never an uncounted attempt). */
  function tracked (account: string, time: number): Entry {
    const entry = current(account, time)
    if (entry !== undefined) return entry
    if (!makeRoom(time)) throw full()
    const created = fresh(time)
    entries.set(account, created)
    return created
  }

  function waitFor (account: string): number {
    const entry = entries.get(account)
    if (entry === undefined) return 0
    const remaining = entry.lockedUntil - now()
    return remaining > 0 ? Math.ceil(remaining / 1000) : 0
  }

  // Synchronous here (one process: nothing can interleave between the check and the count), promises outside.
  const sync: { [K in Exclude<keyof AccountLockout, 'link' | 'linkedUser'>]: (account: string) => Awaited<ReturnType<AccountLockout[K]>> } = {
    retryAfter: waitFor,
    reserve (account) {
      const wait = waitFor(account)
      if (wait > 0) return wait
      const time = now()
      const entry = tracked(account, time)
      if (entry.failures + entry.pending >= rule.max) return PENDING_RETRY_S
      entry.pending++
      return 0
    },
    release (account) {
      const entry = entries.get(account)
      if (entry === undefined) return
      entry.pending = Math.max(0, entry.pending - 1)
      if (entry.pending === 0 && entry.failures === 0 && entry.lockouts === 0) entries.delete(account)
    },
    recordFailure (account) {
      const time = now()
      const entry = tracked(account, time)
      entry.pending = Math.max(0, entry.pending - 1)
      // Most recently failing last: eviction starts with the accounts quiet the longest.
      entries.delete(account)
      entries.set(account, entry)
      entry.failures++
      entry.lastFailure = time
      if (entry.failures >= rule.max) {
        entry.lockouts++
        entry.lockedUntil = time + lockoutMs(entry.lockouts)
        entry.failures = 0
        entry.windowStart = time
      }
    },
    recordSuccess (account) {
      const entry = entries.get(account)
      if (entry !== undefined) entry.pending = Math.max(0, entry.pending - 1)
      sync.forgive(account)
    },
    forgive (account) {
      const entry = entries.get(account)
      // Other attempts still in flight keep their reservations; everything else is forgiven.
      if (entry !== undefined && entry.pending > 0) Object.assign(entry, fresh(now()), { pending: entry.pending })
      else entries.delete(account)
    }
  }
  return {
    retryAfter: (account) => settle(() => sync.retryAfter(account)),
    reserve: (account) => settle(() => sync.reserve(account)),
    release: (account) => settle(() => { sync.release(account) }),
    recordFailure: (account) => settle(() => { sync.recordFailure(account) }),
    recordSuccess: (account) => settle(() => { sync.recordSuccess(account) }),
    forgive: (account) => settle(() => { sync.forgive(account) }),
    linkedUser: (account) => settle(() => {
      const link = links.get(account)
      if (link === undefined || link.until > now()) return link?.userId
      links.delete(account)
      return undefined
    }),
    link: (account, userId) => settle(() => {
      links.delete(account)
      // Oldest link first out: losing one only narrows which spellings follow the user id until its next login.
      if (links.size >= maxEntries) links.delete(links.keys().next().value as string)
      links.set(account, { userId, until: now() + LINK_TTL_MS })
    })
  }
}

/** The synchronous answer as a promise; a throw (503 when full) as a rejection, like the Redis lockout's. */
function settle<T> (work: () => T): Promise<T> {
  return new Promise((resolve) => { resolve(work()) })
}
