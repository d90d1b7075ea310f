// The command line's rows in the audit trail (`authgate keys …`, `authgate user …`). A command is a short process of
// its own, with no plugin and no event bus: it writes its rows at once, no queue. Best effort: the change is made
// whatever the trail says, and a row that cannot be written is a warning on stderr, never a failed command.
import { userInfo } from 'node:os'
import { auditRecord, type AuditEntry } from '@authgate/fastify/admin'
import { auditRetentionMs, type AuditInput } from '@authgate/fastify/config'
import { isAuthError, type SessionStore } from '@authgate/fastify'

export async function writeAuditRows (store: SessionStore, audit: AuditInput | undefined, entries: AuditEntry[], what: string): Promise<void> {
  const retentionMs = auditRetentionMs(audit)
  if (entries.length === 0 || retentionMs === false || store.insertAudit === undefined) return
  try {
    await store.insertAudit(entries.map((entry) => auditRecord(entry, retentionMs)))
  } catch (error) {
    process.stderr.write(`warning: ${what}, but its audit row could not be written (${isAuthError(error) ? error.code : String(error)})\n`)
  }
}

/** The OS account that ran the command, for the row; null where the system cannot say (no passwd entry in a container). */
export function operatorName (): string | null {
  try {
    return userInfo().username.slice(0, 64)
  } catch {
    return null
  }
}
