// The audit trail in MongoDB: its own collection (`audit` by default), insert-only. Rows expire through a TTL index on
// `expiresAt` where the server runs one (FerretDB v1 does not): every read filters on `expiresAt` itself, and the
// writer's inserts delete expired rows now and then (AuditUpkeep), so the collection stays bounded without TTL.
import type { Collection, Filter } from 'mongodb'
import type { AuditListQuery, AuditRecord } from '../audit-records.js'
import type { StoreLogger } from './history-cap.js'
import { ttlIndex } from './schema.js'

/** Expired rows are deleted at most this often per process (after an insert; the TTL index tidies too, where it runs). */
export const AUDIT_SWEEP_INTERVAL_MS = 60_000
/** After the audit indexes failed, the next attempt waits this long: a refusing server must not cost every write a round trip. */
const AUDIT_INDEX_RETRY_MS = 60_000

export type AuditDoc = Omit<AuditRecord, 'id'> & { _id: string }

export async function createAuditIndexes (audit: Collection<AuditDoc>): Promise<void> {
  // The three reads of the query API (all rows, by user, by type), each in the trail's order: no in-memory sort.
  await audit.createIndex({ at: -1, _id: -1 }, { name: 'at_id' }, undefined)
  await audit.createIndex({ userId: 1, at: -1, _id: -1 }, { name: 'userId_at_id' }, undefined)
  await audit.createIndex({ type: 1, at: -1, _id: -1 }, { name: 'type_at_id' }, undefined)
  await ttlIndex(audit)
}

export async function insertAudit (audit: Collection<AuditDoc>, rows: AuditRecord[], maxTimeMS: number): Promise<void> {
  if (rows.length === 0) return
  // Unordered: one bad row (a duplicate id after a retried batch) does not keep the others out.
  await audit.insertMany(rows.map(({ id, ...rest }) => ({ _id: id, ...rest })), { ordered: false, maxTimeMS })
}

export async function listAudit (audit: Collection<AuditDoc>, query: AuditListQuery, maxTimeMS: number): Promise<AuditRecord[]> {
  const filter: Filter<AuditDoc> = { expiresAt: { $gt: query.now } }
  if (query.since !== undefined) filter.at = { $gt: query.since }
  if (query.userId !== undefined) filter.userId = query.userId
  if (query.type !== undefined) filter.type = query.type
  if (query.after !== undefined) {
    // Strictly after the position in (at desc, _id desc): a total order, so pages never skip or repeat a row.
    // Under $and: the retention's bound on `at` stays beside it.
    filter.$and = [{ $or: [{ at: { $lt: query.after.at } }, { at: query.after.at, _id: { $lt: query.after.id } }] }]
  }
  const docs = await audit.find(filter, { maxTimeMS }).sort({ at: -1, _id: -1 }).limit(query.limit).toArray()
  return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest, details: { ...rest.details } }))
}

/**
 * The audit collection's upkeep, apart from the store's own indexes: created lazily, on the first audit insert or read,
 * and a failure only logged (retried at most once a minute). A refused audit index (a conflicting one left by another
 * application, a server limit) then costs the trail an index, never a login. Also the sweep of expired rows.
 */
export class AuditUpkeep {
  readonly #collection: () => Collection<AuditDoc>
  readonly #maxTimeMS: number
  readonly #logger: StoreLogger | undefined
  #indexes: Promise<void> | undefined
  #indexesFailedAt = Number.NEGATIVE_INFINITY
  #sweptAt = Number.NEGATIVE_INFINITY

  constructor (options: { collection: () => Collection<AuditDoc>, maxTimeMS: number, logger: StoreLogger | undefined }) {
    this.#collection = options.collection
    this.#maxTimeMS = options.maxTimeMS
    this.#logger = options.logger
  }

  /** Resolves once the indexes exist or their creation failed (logged); never rejects. */
  indexes (): Promise<void> {
    if (this.#indexes === undefined) {
      if (performance.now() - this.#indexesFailedAt < AUDIT_INDEX_RETRY_MS) return Promise.resolve()
      this.#indexes = createAuditIndexes(this.#collection()).catch((error: unknown) => {
        this.#indexes = undefined
        this.#indexesFailedAt = performance.now()
        this.#logger?.warn({ event: 'audit_index_failed', err: error }, 'authgate: the audit indexes could not be created (the trail works without them, slower); retried later')
      })
    }
    return this.#indexes
  }

  /**
   * Deletes expired rows, at most once per AUDIT_SWEEP_INTERVAL_MS, within maxTimeMS: bounded in frequency and time.
   * Tidying only: a failure is swallowed (reads filter on expiresAt anyway), and the next interval tries again.
   */
  async sweep (now: Date): Promise<void> {
    const at = performance.now()
    if (at - this.#sweptAt < AUDIT_SWEEP_INTERVAL_MS) return
    this.#sweptAt = at
    await this.#collection().deleteMany({ expiresAt: { $lte: now } }, { maxTimeMS: this.#maxTimeMS }).catch(() => undefined)
  }
}
