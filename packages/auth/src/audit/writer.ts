// The audit trail's writer: subscribes to the plugin's events and writes rows OFF the request path. An event only
// pushes onto a bounded queue (no I/O, no await); batches go to the store one insert at a time. A full queue drops the
// row and counts it (the `metrics` option shows the count; a throttled log line says so): a slow or hung database
// never holds or fails a login, and never grows memory without bound.
import type { FastifyBaseLogger } from 'fastify'
import type { AuthgateEvents, AuthgateEventName, AuthgateListener } from '../events.js'
import { settledWithin } from '../internal/deadline.js'
import { createThrottledWarning } from '../internal/log-throttle.js'
import type { AuditCapable, AuditRecord } from '../stores/audit-records.js'
import { AUDIT_MAPPINGS, type AuditEntry, type AuditMappings } from './mapping.js'
import { auditRecord } from './record.js'

/** `audit.queueSize` when not given. */
export const DEFAULT_AUDIT_QUEUE_SIZE = 5000
/** ≈ 50 MB of rows at most: a larger queue only delays the drop counter an outage shows. */
export const MAX_AUDIT_QUEUE_SIZE = 100_000
/** Rows per insert: large enough to keep up with a login flood, small enough for one quick round trip. */
export const AUDIT_BATCH = 100
/** How long close() waits for queued rows to be written before giving up on them. */
export const AUDIT_CLOSE_WAIT_MS = 2000

export interface AuditWriterOptions {
  store: AuditCapable
  events: AuthgateEvents
  logger: Pick<FastifyBaseLogger, 'warn'>
  retentionMs: number
  queueSize?: number
  /** Defaults to AUDIT_MAPPINGS (tests give their own). */
  mappings?: AuditMappings
}

export interface AuditCounts {
  /** Rows dropped because the queue was full (or still queued when close gave up). */
  dropped: number
  /** Rows of batches the store failed to write. */
  failed: number
  written: number
}

export interface AuditWriter {
  /** Queues one entry (never blocks, never throws): false when it was dropped. */
  record: (entry: AuditEntry) => boolean
  readonly counts: Readonly<AuditCounts>
  /** Resolves once the queue is empty and nothing is in flight (tests). */
  idle: () => Promise<void>
  /** Stops listening, writes what is queued within `waitMs` (≤ AUDIT_CLOSE_WAIT_MS), then gives up on the rest. */
  close: (waitMs?: number) => Promise<void>
}

/**
 * A fixed-size ring of rows: push and take are O(1) per row (no array copied per batch, whatever the queue's size).
 * Slots taken are cleared, so a written row is not kept alive by the ring.
 */
class RowRing {
  readonly #slots: Array<AuditRecord | undefined>
  #head = 0
  #length = 0

  constructor (capacity: number) {
    this.#slots = new Array<AuditRecord | undefined>(capacity)
  }

  get length (): number { return this.#length }
  get full (): boolean { return this.#length === this.#slots.length }

  push (row: AuditRecord): void {
    this.#slots[(this.#head + this.#length) % this.#slots.length] = row
    this.#length++
  }

  /** Up to `count` rows from the head, oldest first. */
  take (count: number): AuditRecord[] {
    const rows: AuditRecord[] = []
    while (rows.length < count && this.#length > 0) {
      const row = this.#slots[this.#head]
      this.#slots[this.#head] = undefined
      this.#head = (this.#head + 1) % this.#slots.length
      this.#length--
      if (row !== undefined) rows.push(row)
    }
    return rows
  }

  clear (): number {
    const dropped = this.#length
    this.#slots.fill(undefined)
    this.#head = 0
    this.#length = 0
    return dropped
  }
}

export function createAuditWriter (options: AuditWriterOptions): AuditWriter {
  const { store, events, logger, retentionMs } = options
  const capacity = Math.max(1, Math.min(options.queueSize ?? DEFAULT_AUDIT_QUEUE_SIZE, MAX_AUDIT_QUEUE_SIZE))
  const warning = createThrottledWarning()
  const counts: AuditCounts = { dropped: 0, failed: 0, written: 0 }
  const queue = new RowRing(capacity)
  /** The batch being written, until its insert settles: close() counts it as dropped when it gives up on it. */
  let inFlight: { rows: number, done: Promise<void> } | undefined
  let scheduled = false
  let closed = false
  let idleWaiters: Array<() => void> = []

  function record (entry: AuditEntry): boolean {
    if (closed) {
      // Not a full queue: an event after close (a request still finishing during shutdown). Said apart, so an
      // operator reading audit_dropped looks at the database, and one reading audit_closed at the shutdown order.
      counts.dropped++
      warning.warn(logger, 'audit_closed', { event: 'audit_closed', dropped: counts.dropped }, 'authgate: an audit row came after the trail closed: dropped')
      return false
    }
    if (queue.full) {
      counts.dropped++
      warning.warn(logger, 'audit_dropped', { event: 'audit_dropped', dropped: counts.dropped, queueSize: capacity }, 'authgate: audit queue full (the store is slow or down): rows dropped')
      return false
    }
    queue.push(auditRecord(entry, retentionMs))
    schedule()
    return true
  }

  function schedule (): void {
    if (scheduled || inFlight !== undefined) return
    scheduled = true
    // After the current request's work: the insert never runs inside the handler that caused the event.
    setImmediate(drain)
  }

  function drain (): void {
    scheduled = false
    if (inFlight !== undefined) return
    if (queue.length === 0) {
      for (const wake of idleWaiters) wake()
      idleWaiters = []
      return
    }
    const batch = queue.take(AUDIT_BATCH)
    const current = {
      rows: batch.length,
      done: write(batch).finally(() => {
        if (inFlight === current) inFlight = undefined
        // The next batch, or (queue empty) the idle waiters: either way from drain.
        schedule()
      })
    }
    inFlight = current
  }

  async function write (batch: AuditRecord[]): Promise<void> {
    try {
      // Inside the try: a store whose insertAudit throws synchronously counts as a failed batch, like a rejection.
      await store.insertAudit(batch)
      counts.written += batch.length
    } catch (error) {
      // Rows are facts of the past: not retried (a retry could reorder or duplicate them), counted and logged.
      counts.failed += batch.length
      warning.warn(logger, 'audit_write_failed', { event: 'audit_write_failed', err: error, failed: counts.failed }, 'authgate: audit rows could not be written')
    }
  }

  const listeners: Array<[AuthgateEventName, AuthgateListener<AuthgateEventName>]> = []
  const mappings = options.mappings ?? AUDIT_MAPPINGS
  for (const name of Object.keys(mappings) as AuthgateEventName[]) {
    const map = mappings[name] as ((event: unknown) => AuditEntry) | undefined
    if (map === undefined) continue
    const listener: AuthgateListener<AuthgateEventName> = (event) => { record(map(event)) }
    events.on(name, listener)
    listeners.push([name, listener])
  }

  function idle (): Promise<void> {
    if (queue.length === 0 && inFlight === undefined && !scheduled) return Promise.resolve()
    return new Promise((resolve) => { idleWaiters.push(resolve) })
  }

  return {
    record,
    counts,
    idle,
    async close (waitMs = AUDIT_CLOSE_WAIT_MS) {
      if (closed) return
      closed = true
      for (const [name, listener] of listeners) events.off(name, listener)
      if (await settledWithin(idle(), Math.min(waitMs, AUDIT_CLOSE_WAIT_MS))) return
      // The batch still in flight is given up on too: its insert may yet land, but nothing will count it as written,
      // and a store that never answers must not leave it out of every count.
      const lost = queue.clear() + (inFlight?.rows ?? 0)
      inFlight = undefined
      if (lost > 0) {
        counts.dropped += lost
        logger.warn({ event: 'audit_close_gave_up', dropped: lost }, 'authgate: audit rows still queued or being written at close were dropped (the store did not answer in time)')
      }
    }
  }
}
