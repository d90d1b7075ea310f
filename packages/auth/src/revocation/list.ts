// Revoked session ids, known to every instance within one poll interval, checked without a database round trip
// per request (docs/design.md#token-model). Polling works on every server (FerretDB has no change streams); where the
// server has change streams, an optional feed (revocation/change-stream.ts) pushes revocations within about a second
// and polling goes on behind it at a slower safety cadence (see `feed`). Callers cannot tell which source fed an entry.
//
// An entry only matters while an access token of that session can still be valid: every such token was issued
// before the revocation, so after `retentionMs` (the longest token lifetime plus the clock tolerance) it is dropped.
// Memory is therefore bounded by the revocations of one token lifetime: a Map of sid → expiry, ~100 bytes each.
//
// Subject revocations (tokens/subject-revocation.ts: every external token of one user issued before a time) arrive as
// tombstones of their own id form and live in a second Map, kept `subjectRetentionMs` (the longest external token
// lifetime plus the clock tolerance). They are checked only for tokens without a session, by one Map lookup.
//
// Polls read back the session window only (`retentionMs`, ~15 min), so a starting instance knows the recent session
// revocations after its first page. The older subject revocations (up to a day) are read by a separate backfill,
// after the poll's own pages and through the source's subject-only query where it has one; until it is done,
// `subjectsPending` makes tokens without a session answer 503 (http/authenticate.ts) rather than pass unchecked.
import { parseDuration } from '../config/duration.js'
import { createPoller } from '../internal/poller.js'
import type { RevocationFeed, RevocationFeedSink, RevocationTransport } from './change-stream.js'
import { issuedBefore, parseSubjectRevocationId, subjectKey } from '../tokens/subject-revocation.js'
import type { AccessClaims, RevocationList, RevocationSource } from '../tokens/types.js'

/**
 * Revocations fetched per store query. Bounded, so a poll never asks for an unbounded window at once; large, because
 * FerretDB v1 scans the whole window for every page (with MongoDB's revokedAt index a page is cheap either way).
 */
export const REVOCATION_PAGE_SIZE = 50_000
const PAGE_SIZE = REVOCATION_PAGE_SIZE
// Bounds one poll (1 000 000 entries); whatever is left is read by the next poll, from where this one stopped.
const MAX_PAGES_PER_POLL = 20

/** `tokens.revocationDelay` when not given: the poll interval, so the upper bound for a revocation to spread. */
export const DEFAULT_REVOCATION_DELAY = '5s'
export const DEFAULT_POLL_INTERVAL_MS = parseDuration(DEFAULT_REVOCATION_DELAY, 'tokens.revocationDelay')
/**
 * While a feed is healthy, a poll still runs every this many poll intervals (30 s at the default 5 s): a revocation
 * the feed missed (it never should) still arrives within that. An unhealthy feed restores the full cadence.
 */
export const REVOCATION_SAFETY_POLL_FACTOR = 6
const DEFAULT_OVERLAP_MS = 30_000

export interface RevocationLogger {
  warn: (object: Record<string, unknown>, message: string) => void
}

export interface RevocationListOptions {
  source: RevocationSource
  pollIntervalMs?: number
  /** How long an entry is kept: the longest access-token lifetime (`maxTtl`) plus the clock tolerance. */
  retentionMs: number
  /**
   * How long a subject revocation is kept: the longest lifetime of an external token (tokens.trustedIssuers) plus
   * the clock tolerance. Default `retentionMs`. A starting instance reads back this far (the subject backfill), so
   * it knows every subject revocation that can still matter.
   */
  subjectRetentionMs?: number
  /**
   * Each poll asks again for this much time before the newest revocation seen, so a revocation written late by
   * another instance (clock skew, a slow write) is not missed. Default 30 s.
   */
  overlapMs?: number
  /** When set, `stale` turns true once no poll has succeeded for this long: the authenticator then answers 503. */
  failClosedAfterMs?: number
  logger?: RevocationLogger
  /**
   * Pushes revocations as they happen (a change stream). Trusted only while it calls `alive` at least every half
   * poll interval and a poll begun after it (re)opened has succeeded; then polls run every
   * REVOCATION_SAFETY_POLL_FACTOR intervals, else every interval. Losing it polls at once.
   */
  feed?: RevocationFeed
  /** Clock, for tests. */
  now?: () => number
}

export interface PollingRevocationList extends RevocationList {
  /** Polls once now; resolves when done. Never rejects: failures are logged and retried on the next tick. */
  poll: () => Promise<void>
  /** Time of the last successful poll (ms since the epoch), or undefined before the first one. */
  readonly lastSyncAt: number | undefined
  /** 'change-stream' while a healthy feed delivers (polls are then the slow safety net), else 'polling'. */
  readonly transport: RevocationTransport
  onRevoked: NonNullable<RevocationList['onRevoked']>
  isSubjectRevoked: NonNullable<RevocationList['isSubjectRevoked']>
  addSubject: NonNullable<RevocationList['addSubject']>
  onSubjectRevoked: NonNullable<RevocationList['onSubjectRevoked']>
  readonly subjectsPending: boolean
  readonly sessionsPending: boolean
  /** Revocation time (ms since the epoch) of the newest revocation applied, whatever brought it; undefined: none yet. */
  readonly newestRevokedAt: number | undefined
}

/** Above this many subject entries the list warns once: far beyond any real logout-all rate of external users. */
export const SUBJECT_ENTRIES_WARN_AT = 100_000

export function createRevocationList (options: RevocationListOptions): PollingRevocationList {
  const { source, logger } = options
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS
  const { retentionMs, failClosedAfterMs } = options
  const subjectRetentionMs = options.subjectRetentionMs ?? retentionMs
  const now = options.now ?? Date.now
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 10) throw new Error('revocation pollIntervalMs must be at least 10 ms')
  if (!Number.isFinite(retentionMs) || retentionMs <= 0) throw new Error('revocation retentionMs must be a positive number of ms')
  if (!Number.isFinite(subjectRetentionMs) || subjectRetentionMs <= 0) throw new Error('revocation subjectRetentionMs must be a positive number of ms')
  if (!Number.isFinite(overlapMs) || overlapMs < 0) throw new Error('revocation overlapMs must be a non-negative number of ms')
  if (failClosedAfterMs !== undefined && !(failClosedAfterMs > 0)) throw new Error('revocation failClosedAfterMs must be a positive number of ms')

  // sid → time (ms) after which no token of that session can still be valid. Insertion order is close to expiry
  // order (revocations arrive roughly in time order), which lets prune stop at the first live entry.
  const entries = new Map<string, number>()
  let newestSeen: number | undefined
  let newestApplied: number | undefined
  let lastSyncAt: number | undefined
  // The first poll failed: the store is not answering, so the list serves as during any outage (sessionsPending).
  let firstPollFailed = false
  let startedAt: number | undefined
  const { feed } = options
  const safetyIntervalMs = pollIntervalMs * REVOCATION_SAFETY_POLL_FACTOR
  // The feed's current run: when it first answered, when it last answered, and whether a poll begun after it
  // opened has succeeded (revocations from before the stream opened are the poll's to deliver).
  let feedOpenedAt: number | undefined
  let feedAliveAt: number | undefined
  let feedCovered = false
  let lastPollStartedAt: number | undefined
  let lastGoodPollStartedAt: number | undefined

  // Told once per newly known session id, whichever source brought it (poll, feed, or a local revocation).
  const listeners = new Set<(sid: string) => void>()
  // Subject key → the newest revocation time (ms) and when the entry may go. Few: one per logout-all of an
  // external user within one external token lifetime.
  // Re-inserted on change, so ordered by expiry (all share one retention) and prune stops at the first live one.
  const subjects = new Map<string, { revokedAt: number, expiresAt: number }>()
  let warnedSubjects = false
  // The subject revocations still to read back: from `cursor` up to `until` (where the polls' own window began).
  let backfill: { cursor: number, until: number } | undefined
  const subjectListeners = new Set<(key: string, revokedAtMs: number) => void>()
  // The key of verified claims, memoised per claims object: external verifiers hand out one frozen object per token,
  // so a token costs one hash for its whole life, not one per request.
  const keys = new WeakMap<object, string>()

  function remember (id: string, revokedAtMs: number): void {
    const key = parseSubjectRevocationId(id)
    if (key !== undefined) {
      rememberSubject(key, revokedAtMs)
      return
    }
    const sid = id
    const expiresAt = revokedAtMs + retentionMs
    if (expiresAt <= now()) return
    const current = entries.get(sid)
    if (current !== undefined && current >= expiresAt) return
    // Re-insert so the entry moves to the end, keeping the map roughly ordered by expiry.
    entries.delete(sid)
    entries.set(sid, expiresAt)
    applied(revokedAtMs)
    if (current === undefined) notify(sid)
  }

  function applied (revokedAtMs: number): void {
    if (newestApplied === undefined || revokedAtMs > newestApplied) newestApplied = revokedAtMs
  }

  function rememberSubject (key: string, revokedAtMs: number): void {
    const expiresAt = revokedAtMs + subjectRetentionMs
    if (expiresAt <= now()) return
    const current = subjects.get(key)
    // A later revocation moves the cut-off forward; an older one (read again by an overlapping poll) changes nothing.
    if (current !== undefined && current.revokedAt >= revokedAtMs) return
    subjects.delete(key)
    subjects.set(key, { revokedAt: revokedAtMs, expiresAt })
    applied(revokedAtMs)
    if (subjects.size > SUBJECT_ENTRIES_WARN_AT && !warnedSubjects) {
      warnedSubjects = true
      logger?.warn({ event: 'revocation_subjects_many', size: subjects.size }, 'revocation list: unusually many subject revocations are held in memory')
    }
    for (const listener of subjectListeners) {
      try {
        listener(key, revokedAtMs)
      } catch (error) {
        logger?.warn({ event: 'revocation_listener_failed', err: error }, 'revocation list: a listener threw')
      }
    }
  }

  function isSubjectRevoked (claims: Pick<AccessClaims, 'iss' | 'sub' | 'sid' | 'iat'>): boolean {
    // Tokens with a session are revoked through it; an own token must never be judged by its user's subject entry.
    if (claims.sid !== '' || subjects.size === 0) return false
    let key = keys.get(claims)
    if (key === undefined) {
      key = subjectKey(claims.iss, claims.sub)
      keys.set(claims, key)
    }
    const entry = subjects.get(key)
    return entry !== undefined && issuedBefore(claims.iat, entry.revokedAt)
  }

  function notify (sid: string): void {
    for (const listener of listeners) {
      try {
        listener(sid)
      } catch (error) {
        // A listener's failure must not stop the poll that delivers revocations to every other one.
        logger?.warn({ event: 'revocation_listener_failed', err: error }, 'revocation list: a listener threw')
      }
    }
  }

  function prune (): void {
    const time = now()
    // Entries slightly out of order stay until those before them expire: kept a little longer, never dropped early.
    for (const [sid, expiresAt] of entries) {
      if (expiresAt > time) break
      entries.delete(sid)
    }
    for (const [key, entry] of subjects) {
      if (entry.expiresAt > time) break
      subjects.delete(key)
    }
  }

  /** The feed can be trusted: covered by a poll, and answering within half a poll interval. */
  function feedLive (): boolean {
    return feedCovered && feedAliveAt !== undefined && now() - feedAliveAt <= pollIntervalMs / 2
  }

  const sink: RevocationFeedSink = {
    revoked (sid, revokedAt) {
      const time = revokedAt.getTime()
      remember(sid, Number.isFinite(time) ? time : now())
    },
    alive () {
      const time = now()
      feedAliveAt = time
      if (feedOpenedAt !== undefined) return
      // (Re)opened: poll now, so whatever was revoked before the stream started is read too. A poll already in
      // flight began before the opening and cannot cover it (the first poll at start, when the stream answers
      // first): poll again right after it, rather than leave the feed untrusted for a whole interval.
      feedOpenedAt = time
      feedCovered = false
      if (poller.running) void (poller.busy ? poller.run().then(poller.run) : poller.run()).finally(poller.reschedule)
    },
    lost () {
      const wasOpen = feedOpenedAt !== undefined
      feedOpenedAt = feedAliveAt = undefined
      feedCovered = false
      // Revocations since its last answer may be missing: poll now, then at the full cadence.
      if (wasOpen && poller.running) void poller.run().finally(poller.reschedule)
    }
  }

  async function pollOnce (): Promise<void> {
    const pollStartedAt = now()
    lastPollStartedAt = pollStartedAt
    // Never further back than the session window: older subject revocations are the backfill's (see the top).
    const floor = now() - retentionMs
    const since = newestSeen === undefined ? floor : Math.max(newestSeen - overlapMs, floor)
    // First poll, or back after an outage longer than the window: read back the subject revocations it missed.
    // (Whatever was revoked before the last good poll began, less the overlap for late writes, that poll has read.)
    const covered = lastGoodPollStartedAt === undefined ? undefined : lastGoodPollStartedAt - overlapMs
    if (subjectRetentionMs > retentionMs && (covered === undefined || covered < floor)) {
      const from = Math.max(covered ?? 0, now() - subjectRetentionMs)
      backfill = { cursor: Math.min(backfill?.cursor ?? from, from), until: Math.max(backfill?.until ?? floor, floor) }
    }
    try {
      // Page through the window oldest first. Asking for a whole retention window at once (100 000 revocations after
      // a mass logout) can exceed the store's time budget on every retry, leaving the list empty: failing open. Each
      // page advances `newestSeen`, so a failed page resumes where the last good one ended.
      let cursor = since
      for (let pages = 0; pages < MAX_PAGES_PER_POLL; pages++) {
        const revoked = await source.listRevokedSince(new Date(cursor), PAGE_SIZE)
        let last = cursor
        for (const { id, revokedAt } of revoked) {
          const time = revokedAt.getTime()
          if (typeof id !== 'string' || !Number.isFinite(time)) continue
          remember(id, time)
          if (time > last) last = time
          if (newestSeen === undefined || time > newestSeen) newestSeen = time
        }
        if (revoked.length < PAGE_SIZE) break
        // The next page starts at the last time seen (`$gte`: entries sharing it are read again, harmlessly). A page
        // whose entries all share one millisecond moves on by 1 ms rather than loop; more than PAGE_SIZE
        // revocations within one millisecond is not a real workload.
        cursor = last > cursor ? last : cursor + 1
      }
      // Nothing revoked yet: next time, ask from here rather than the whole retention window again.
      newestSeen ??= since
      lastSyncAt = now()
      lastGoodPollStartedAt = pollStartedAt
      if (feedOpenedAt !== undefined && pollStartedAt >= feedOpenedAt) feedCovered = true
    } catch (error) {
      if (lastSyncAt === undefined) firstPollFailed = true
      logger?.warn({ event: 'revocation_poll_failed', err: error }, 'revocation list: polling the session store failed; retrying')
      prune()
      return
    }
    if (backfill !== undefined) await backfillSubjects(backfill)
    prune()
  }

  /** Reads the subject revocations of [cursor, until), resuming where a failed or capped run stopped. */
  async function backfillSubjects (range: { cursor: number, until: number }): Promise<void> {
    // Without the subject-only query, every tombstone of the range is read (session ones are dropped by remember:
    // older than their retention).
    const list = source.listSubjectRevokedSince?.bind(source) ?? source.listRevokedSince.bind(source)
    try {
      for (let pages = 0; pages < MAX_PAGES_PER_POLL; pages++) {
        const revoked = await list(new Date(range.cursor), PAGE_SIZE)
        let last = range.cursor
        for (const { id, revokedAt } of revoked) {
          const time = revokedAt.getTime()
          if (typeof id !== 'string' || !Number.isFinite(time)) continue
          if (time < range.until) remember(id, time)
          if (time > last) last = time
        }
        if (revoked.length < PAGE_SIZE || last >= range.until) {
          if (backfill === range) backfill = undefined
          return
        }
        range.cursor = last > range.cursor ? last : range.cursor + 1
      }
    } catch (error) {
      logger?.warn({ event: 'revocation_backfill_failed', err: error }, 'revocation list: reading back subject revocations failed; retrying')
    }
  }

  // With a live feed, tick twice per interval to notice quickly when it stops answering; poll only when it is not
  // live any more, or for the safety poll.
  const poller = createPoller({
    work: pollOnce,
    delayMs: () => feedLive() ? pollIntervalMs / 2 : pollIntervalMs,
    due: () => !feedLive() || lastPollStartedAt === undefined || now() - lastPollStartedAt >= safetyIntervalMs,
    idle: prune
  })

  return {
    isRevoked: (sid) => entries.has(sid),
    isSubjectRevoked,
    onRevoked (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    onSubjectRevoked (listener) {
      subjectListeners.add(listener)
      return () => { subjectListeners.delete(listener) }
    },
    addSubject (issuer, sub, revokedAt) {
      const time = revokedAt?.getTime() ?? Number.NaN
      rememberSubject(subjectKey(issuer, sub), Number.isFinite(time) ? time : now())
    },
    add (sid, revokedAt) {
      const time = revokedAt?.getTime() ?? Number.NaN
      remember(sid, Number.isFinite(time) ? time : now())
    },
    start () {
      if (poller.running) return
      startedAt = now()
      poller.start()
      feed?.start(sink, Math.max(5, Math.floor(pollIntervalMs / 4)))
    },
    stop () {
      poller.stop()
      feed?.stop()
      feedOpenedAt = feedAliveAt = undefined
      feedCovered = false
    },
    poll: poller.run,
    get size () { return entries.size + subjects.size },
    get lastSyncAt () { return lastSyncAt },
    get newestRevokedAt () { return newestApplied },
    get subjectsPending () {
      // Until the first poll has run (it starts the backfill) or while the backfill is unfinished.
      return poller.running && subjectRetentionMs > retentionMs && (lastSyncAt === undefined || backfill !== undefined)
    },
    get sessionsPending () { return poller.running && lastSyncAt === undefined && !firstPollFailed },
    get transport () { return feedLive() ? 'change-stream' : 'polling' },
    get stale () {
      if (failClosedAfterMs === undefined || !poller.running) return false
      // A covered feed that answers is as good as a poll: it delivers every revocation committed before its answer.
      const synced = Math.max(lastSyncAt ?? startedAt ?? 0, feedCovered ? feedAliveAt ?? 0 : 0)
      return now() - synced > failClosedAfterMs
    }
  }
}
