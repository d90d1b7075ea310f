// Per-account brute-force protection (OWASP Authentication cheat sheet, SECURITY-CASES D.53): after `max` failed
// logins within `windowMs`, the account answers 429 + Retry-After to every login, from any IP and also for the
// right password (no oracle), for a lockout that doubles on each repeat (30 s, 1 min, 2 min… capped at the window),
// never permanently. Kept in process memory, bounded; with several instances each counts on its own.

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
}

const BASE_LOCKOUT_MS = 30_000
const MAX_ENTRIES = 100_000

export interface AccountLockout {
  /** Seconds until the account may try again, or 0 when it may try now. */
  retryAfter: (account: string) => number
  recordFailure: (account: string) => void
  recordSuccess: (account: string) => void
}

export function createAccountLockout (rule: LockoutRule, now: () => number = Date.now): AccountLockout {
  const entries = new Map<string, Entry>()
  const lockoutMs = (lockouts: number): number => Math.min(rule.timeWindowMs, BASE_LOCKOUT_MS * 2 ** Math.min(lockouts - 1, 20))

  return {
    retryAfter (account) {
      const entry = entries.get(account)
      if (entry === undefined) return 0
      const remaining = entry.lockedUntil - now()
      return remaining > 0 ? Math.ceil(remaining / 1000) : 0
    },
    recordFailure (account) {
      const time = now()
      let entry = entries.get(account)
      // Repeat offences double the lockout only while they keep coming; a quiet window forgives them.
      if (entry !== undefined && time - entry.lastFailure > 2 * rule.timeWindowMs) entry = undefined
      if (entry === undefined) {
        if (entries.size >= MAX_ENTRIES) {
          const oldest = entries.keys().next()
          if (oldest.done !== true) entries.delete(oldest.value)
        }
        entry = { failures: 0, windowStart: time, lockedUntil: 0, lockouts: 0, lastFailure: time }
      }
      entries.delete(account)
      entries.set(account, entry)
      if (time - entry.windowStart > rule.timeWindowMs) {
        entry.failures = 0
        entry.windowStart = time
      }
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
      entries.delete(account)
    }
  }
}
