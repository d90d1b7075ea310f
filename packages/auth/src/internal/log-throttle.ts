// Warnings that any client can cause at will (a sign-in refused at a full store, a forged callback): each is worth a
// line, but one per request would let whoever sends them fill the log (and its disk, and the operator's attention).
// So at most one line per kind per interval, carrying how many of that kind were held back since the previous line.
// Memory is bounded: kinds are a few fixed strings, and past `maxKinds` every new one shares a single overflow slot
// (a caller sizes maxKinds from the kinds it can log, so the slot only catches a kind it failed to count).
// A count held back is reported with the next line of its kind (there is no timer to flush it: nothing to stop at
// close, and a quiet kind has nothing new to say).
import type { FastifyBaseLogger } from 'fastify'

export const WARNING_INTERVAL_MS = 60_000
const MAX_KINDS = 32
const OVERFLOW = '\u0000overflow'

export interface ThrottledWarning {
  /** Logs `fields` and `message` at warn, unless a line of `kind` went out less than the interval ago: then counts it. */
  warn: (log: Pick<FastifyBaseLogger, 'warn'>, kind: string, fields: Record<string, unknown>, message: string) => void
}

export interface ThrottleOptions {
  intervalMs?: number
  maxKinds?: number
  /** The clock (tests). */
  now?: () => number
}

export function createThrottledWarning (options: ThrottleOptions = {}): ThrottledWarning {
  const intervalMs = options.intervalMs ?? WARNING_INTERVAL_MS
  const maxKinds = options.maxKinds ?? MAX_KINDS
  const now = options.now ?? Date.now
  const kinds = new Map<string, { loggedAt: number, suppressed: number }>()
  return {
    warn (log, kind, fields, message) {
      const key = kinds.has(kind) || kinds.size < maxKinds ? kind : OVERFLOW
      const at = now()
      const last = kinds.get(key)
      // A clock set back counts as the interval over: a line too many rather than a kind silenced for good.
      if (last !== undefined && at >= last.loggedAt && at - last.loggedAt < intervalMs) {
        last.suppressed++
        return
      }
      const suppressed = last?.suppressed ?? 0
      kinds.set(key, { loggedAt: at, suppressed: 0 })
      log.warn(suppressed === 0 ? fields : { ...fields, suppressed, suppressedSinceMs: Math.max(0, at - (last?.loggedAt ?? at)) }, message)
    }
  }
}
