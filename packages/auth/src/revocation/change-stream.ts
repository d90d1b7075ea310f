// Revocations pushed by a MongoDB change stream where the server has them (a replica set or a sharded cluster): they
// reach this instance in about a second, whatever `revocationDelay` is. A helper of the revocation list
// (revocation/list.ts), never its only source: the list keeps polling behind it, at the full cadence whenever the
// stream is not known to be healthy, and at a slow safety cadence while it is, so a revocation the stream missed
// still arrives. FerretDB v1 and standalone servers have no change streams: `hello` says so, the feed stays idle and
// polling alone delivers (docs/design.md#the-database-in-tests: correctness never depends on change streams).
//
// The stream watches inserts into the insert-only `revocations` collection (stores/mongo/schema.ts TombstoneDoc): every
// revocation writes its tombstone, before the session, and the poll reads the same collection, so both sources
// agree. Updates of `sessions.revokedAt` are not watched: a racing rotation can rewrite them (FerretDB), and one
// revocation of a family updates many sessions in one write.
import { setTimeout as delay } from 'node:timers/promises'
import type { Document } from 'mongodb'
import { settleWithin } from '../internal/deadline.js'

/** Where revocations come from right now: the change stream (healthy) or polling (no stream, or not trusted). */
export type RevocationTransport = 'change-stream' | 'polling'

/** How a feed hands its revocations, and its health, to the revocation list. */
export interface RevocationFeedSink {
  revoked: (sid: string, revokedAt: Date) => void
  /**
   * The stream is open and the server just answered it: every revocation committed before the answer has been
   * handed over. Called at least every `heartbeatMs` while healthy.
   */
  alive: () => void
  /** The stream failed or closed: revocations may have been missed since the last `alive`. */
  lost: () => void
}

export type RevocationFeedMode = 'detecting' | 'change-stream' | 'polling' | 'stopped'

export interface RevocationFeed {
  /** Starts detecting, then streaming. Never throws, never rejects: failures are logged and retried. */
  start: (sink: RevocationFeedSink, heartbeatMs: number) => void
  stop: () => void
  /**
   * 'change-stream' once `hello` named a replica set or mongos (also while reopening after an error); 'polling'
   * when the server has no change streams or the feed gave up. A diagnostic only: the list trusts `alive` calls.
   */
  readonly mode: RevocationFeedMode
}

/** One open change stream of revocations (the driver's ChangeStream, adapted; a fake in tests). */
export interface RevocationStream {
  /** The next revocation, or null when the server answered without one (after at most `maxAwaitTimeMS`). */
  tryNext: () => Promise<{ id: string, revokedAt: Date } | null>
  /** Where to resume after the last answer; undefined before the first. */
  readonly resumeToken: unknown
  readonly closed: boolean
  close: () => Promise<void>
}

/** What the feed needs from the store (MongoSessionStore, through mongoWatchSource). */
export interface RevocationWatchSource {
  /** The server's `hello` reply. Rejects when the server cannot be reached (the store also reconnects here). */
  hello: () => Promise<Document>
  /** Opens a change stream of inserted revocations, after `resumeToken` when given. Opening is lazy: tryNext runs it. */
  watch: (options: { resumeToken: unknown, maxAwaitTimeMS: number }) => RevocationStream
}

export interface FeedLogger {
  info: (object: Record<string, unknown>, message: string) => void
  warn: (object: Record<string, unknown>, message: string) => void
}

export interface ChangeStreamFeedOptions {
  logger?: FeedLogger
  /** First wait before reopening a failed stream; doubles on each failure in a row, up to backoffMaxMs. Default 1 s. */
  backoffInitialMs?: number
  /** Default 60 s. */
  backoffMaxMs?: number
  /**
   * Failures in a row (hello or stream) after which the feed gives up until restart; polling goes on. Default 60,
   * about an hour at the capped backoff. A stream that stayed up for `stableMs` resets the count.
   */
  maxFailures?: number
  /** Default 60 s. */
  stableMs?: number
  /** A tryNext with no answer for this long past its maxAwaitTimeMS is a stalled stream: closed, reopened. Default 10 s. */
  stallGraceMs?: number
}

/** The server has change streams: a replica-set member names its set, a mongos says `isdbgrid`. */
export function transportOf (hello: Document): RevocationTransport {
  return (typeof hello.setName === 'string' && hello.setName.length > 0) || hello.msg === 'isdbgrid' ? 'change-stream' : 'polling'
}

export async function detectRevocationTransport (source: Pick<RevocationWatchSource, 'hello'>): Promise<RevocationTransport> {
  return transportOf(await source.hello())
}

// The server will never serve this stream: change streams unsupported (40573: not a replica set; 115, 59: FerretDB
// and others), or not allowed (13: the user lacks the changeStream privilege). Polling alone, without retrying.
const PERMANENT_CODES = new Set([13, 59, 115, 40573])
// The resume token cannot be used (invalid, or the oplog moved past it): open afresh; the list's poll fills the gap.
const TOKEN_CODES = new Set([260, 280, 286])
/** An answer without a revocation sooner than this is paced, so a server answering at once cannot spin the loop. */
const MIN_EMPTY_ANSWER_MS = 20

function codeOf (error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'number' ? code : undefined
}

class StalledError extends Error {
  constructor (ms: number) {
    super(`revocation change stream gave no answer for ${ms} ms`)
    this.name = 'StalledError'
  }
}

export function createChangeStreamFeed (source: RevocationWatchSource, options: ChangeStreamFeedOptions = {}): RevocationFeed {
  const { logger } = options
  const backoffInitialMs = options.backoffInitialMs ?? 1000
  const backoffMaxMs = options.backoffMaxMs ?? 60_000
  const maxFailures = options.maxFailures ?? 60
  const stableMs = options.stableMs ?? 60_000
  const stallGraceMs = options.stallGraceMs ?? 10_000
  let mode: RevocationFeedMode = 'stopped'
  // Each start() runs its own loop; a loop whose generation is no longer current ends without touching the sink.
  let generation = 0
  let abort: AbortController | undefined
  let current: RevocationStream | undefined

  /** Closes a stream that is done with (a failed one before the backoff wait); closing twice is harmless. */
  function release (stream: RevocationStream | undefined): void {
    if (stream === undefined) return
    if (current === stream) current = undefined
    stream.close().catch(() => undefined)
  }

  async function run (sink: RevocationFeedSink, heartbeatMs: number, mine: number, signal: AbortSignal): Promise<void> {
    const active = (): boolean => generation === mine && !signal.aborted
    const maxAwaitTimeMS = Math.max(10, Math.min(1000, Math.floor(heartbeatMs)))
    let failures = 0
    let resumeToken: unknown
    while (active() && failures < maxFailures) {
      let openedAt: number | undefined
      let stream: RevocationStream | undefined
      try {
        // Asked before every open: it reconnects a store client that lost its server, and a server that stopped
        // being a replica set (restarted standalone) stops the feed instead of failing forever.
        const transport = await detectRevocationTransport(source)
        if (!active()) return
        if (transport === 'polling') {
          mode = 'polling'
          logger?.info({ event: 'revocation_transport', transport }, 'revocation list: the server has no change streams (not a replica set); polling only')
          return
        }
        if (mode !== 'change-stream') logger?.info({ event: 'revocation_transport', transport }, 'revocation list: change streams in use, polling continues at a safety cadence')
        mode = 'change-stream'
        stream = source.watch({ resumeToken, maxAwaitTimeMS })
        current = stream
        while (active()) {
          const asked = Date.now()
          const next = await answerWithin(stream.tryNext(), maxAwaitTimeMS + stallGraceMs)
          if (!active()) return
          resumeToken = stream.resumeToken ?? resumeToken
          openedAt ??= Date.now()
          if (next !== null) sink.revoked(next.id, next.revokedAt)
          else if (stream.closed) throw new Error('revocation change stream closed by the server')
          sink.alive()
          if (Date.now() - openedAt >= stableMs) failures = 0
          if (next === null) {
            const early = MIN_EMPTY_ANSWER_MS - (Date.now() - asked)
            if (early > 0) await delay(early, undefined, { signal, ref: false })
          }
        }
      } catch (error) {
        release(stream)
        if (!active()) return
        if (openedAt !== undefined) sink.lost()
        if (openedAt !== undefined && Date.now() - openedAt >= stableMs) failures = 0
        failures++
        const code = codeOf(error)
        if (code !== undefined && PERMANENT_CODES.has(code)) {
          mode = 'polling'
          logger?.warn({ event: 'revocation_stream_refused', err: error }, 'revocation list: the server refuses change streams; polling only')
          return
        }
        if (code !== undefined && TOKEN_CODES.has(code)) resumeToken = undefined
        const wait = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(failures - 1, 30))
        logger?.warn({ event: 'revocation_stream_failed', err: error, failures, retryInMs: wait }, 'revocation list: change stream failed; polling at the full cadence until it reopens')
        try {
          await delay(wait, undefined, { signal, ref: false })
        } catch {
          return
        }
      } finally {
        release(stream)
      }
    }
    if (active()) {
      mode = 'polling'
      logger?.warn({ event: 'revocation_stream_given_up', failures }, 'revocation list: change stream failed too often; polling only until restart')
    }
  }

  return {
    start (sink, heartbeatMs) {
      if (abort !== undefined) return
      const mine = ++generation
      abort = new AbortController()
      mode = 'detecting'
      void run(sink, heartbeatMs, mine, abort.signal).catch((error: unknown) => {
        // Nothing above throws past its catch; this only keeps an unexpected bug from killing the process.
        logger?.warn({ event: 'revocation_stream_failed', err: error }, 'revocation list: change stream feed ended')
      })
    },
    stop () {
      generation++
      abort?.abort()
      abort = undefined
      mode = 'stopped'
      const stream = current
      current = undefined
      // Ends a tryNext waiting on the server; its rejection is ignored by the loop (no longer active).
      stream?.close().catch(() => undefined)
    },
    get mode () { return mode }
  }
}

/** Settles like `work`, or rejects with StalledError after `ms` (a server holding the socket open silently). */
function answerWithin<T> (work: Promise<T>, ms: number): Promise<T> {
  return settleWithin(work, ms, () => new StalledError(ms))
}
