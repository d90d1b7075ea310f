// The audit trail in MongoDB: its own collection (`audit` by default), insert-only. Rows expire through a TTL index on
// `expiresAt` where the server runs one (FerretDB v1 does not): every read filters on `expiresAt` itself.
import type { Collection, Filter } from 'mongodb'
import type { AuditListQuery, AuditRecord } from './audit-records.js'
import { ttlIndex } from './mongo-schema.js'

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
  if (query.userId !== undefined) filter.userId = query.userId
  if (query.type !== undefined) filter.type = query.type
  if (query.after !== undefined) {
    // Strictly after the position in (at desc, _id desc): a total order, so pages never skip or repeat a row.
    filter.$or = [{ at: { $lt: query.after.at } }, { at: query.after.at, _id: { $lt: query.after.id } }]
  }
  const docs = await audit.find(filter, { maxTimeMS }).sort({ at: -1, _id: -1 }).limit(query.limit).toArray()
  return docs.map(({ _id, ...rest }) => ({ id: _id, ...rest, details: { ...rest.details } }))
}
