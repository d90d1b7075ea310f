// The in-memory store's audit trail: bounded, the oldest rows dropped first, so a process under a login flood keeps
// a fixed amount of memory (development and tests: nothing survives a restart anyway).
import { auditMatches, auditNewestFirst, copyAuditRecord, type AuditCapable, type AuditListQuery, type AuditRecord } from './audit-records.js'

/** Rows kept at most (≈ 0.5 KB each). */
export const MEMORY_AUDIT_CAPACITY = 10_000

export class MemoryAuditTrail implements AuditCapable {
  readonly #rows: AuditRecord[] = []
  readonly #capacity: number

  constructor (capacity = MEMORY_AUDIT_CAPACITY) {
    this.#capacity = capacity
  }

  insertAudit (rows: AuditRecord[]): Promise<void> {
    for (const row of rows) this.#rows.push(copyAuditRecord(row))
    if (this.#rows.length > this.#capacity) this.#rows.splice(0, this.#rows.length - this.#capacity)
    return Promise.resolve()
  }

  listAudit (query: AuditListQuery): Promise<AuditRecord[]> {
    const rows = this.#rows.filter((row) => auditMatches(row, query)).sort(auditNewestFirst).slice(0, query.limit)
    return Promise.resolve(rows.map(copyAuditRecord))
  }
}
