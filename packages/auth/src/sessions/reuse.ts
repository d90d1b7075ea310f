// Classification of a refresh-token reuse (a token presented after the grace window of its rotation). A heuristic
// for operators: every class is reuse and is handled the same way; the class says how worried to be.
import type { ReuseClassification } from '../events.js'
import type { SessionRecord } from '../stores/store.js'

export interface ReuseFacts {
  classification: ReuseClassification
  sinceRotationMs: number
  ipChanged: boolean
  userAgentChanged: boolean
}

/** Reuse from the same client within this many grace windows reads as a race (a lost response, a slow tab). */
const RACE_FACTOR = 6
const MIN_RACE_WINDOW_MS = 60_000

export function classifyReuse (session: SessionRecord, hash: string, client: { ip: string, userAgent: string }, now: Date, reuseGraceMs: number): ReuseFacts {
  // The exact retirement time is known for the most recently retired token; for older ones the last rotation
  // happened after their retirement, so the time since it is a lower bound.
  const retiredAt = session.grace?.retiredAt ?? session.lastUsedAt
  const sinceRotationMs = Math.max(0, now.getTime() - retiredAt.getTime())
  const exact = session.grace?.hash === hash
  const ipChanged = client.ip !== session.ip
  const userAgentChanged = client.userAgent !== session.userAgent
  let classification: ReuseClassification
  if (ipChanged || userAgentChanged) classification = 'theft'
  else if (exact && sinceRotationMs <= Math.max(MIN_RACE_WINDOW_MS, RACE_FACTOR * reuseGraceMs)) classification = 'race'
  else classification = 'stale'
  return { classification, sinceRotationMs, ipChanged, userAgentChanged }
}
