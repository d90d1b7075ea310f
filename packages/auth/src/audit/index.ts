// The audit trail: event → row mapping, the off-request-path writer, the query the admin API serves.
export { AUDIT_MAPPINGS, AUDIT_TYPES, adminActionEntry, type AuditEntry, type AuditMappings } from './mapping.js'
export { auditRecord, MAX_AUDIT_USER_AGENT } from './record.js'
export { createAuditWriter, AUDIT_BATCH, AUDIT_CLOSE_WAIT_MS, DEFAULT_AUDIT_QUEUE_SIZE, type AuditWriter, type AuditWriterOptions, type AuditCounts } from './writer.js'
export { queryAudit, decodeAuditCursor, encodeAuditCursor, DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE, type AuditQuery, type AuditItem, type AuditPage } from './query.js'
export { keyRotationEntry, type KeyRingChange } from './key-rotation.js'
