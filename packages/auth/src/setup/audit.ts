// The plugin's audit trail: on when `audit.retention` is not false and the store can hold one; said once otherwise.
import type { FastifyBaseLogger } from 'fastify'
import type { AuthgateEvents } from '../events.js'
import type { NormalisedOptions } from '../options/types.js'
import type { AuditCapable } from '../stores/audit-records.js'
import type { SessionStore } from '../stores/store.js'
import { AuthError } from '../errors.js'
import { queryAudit, type AuditPage, type AuditQuery } from '../audit/query.js'
import { createAuditWriter, type AuditWriter } from '../audit/writer.js'

/** The writer's idle() on the plugin's decorator, for tests (not public API). */
export const AUDIT_IDLE = Symbol('authgate.auditIdle')

export interface PluginAudit {
  writer: AuditWriter | undefined
  /** One page of the trail (the admin API's `GET /auth/admin/audit`); 404 AUTH_NOT_FOUND when there is no trail. */
  query: (query: AuditQuery) => Promise<AuditPage>
}

export function auditCapable (store: SessionStore): (SessionStore & AuditCapable) | undefined {
  return store.insertAudit !== undefined && store.listAudit !== undefined ? store as SessionStore & AuditCapable : undefined
}

export function createPluginAudit (options: Pick<NormalisedOptions, 'audit'>, store: SessionStore, events: AuthgateEvents, logger: FastifyBaseLogger): PluginAudit {
  const { retentionMs, queueSize } = options.audit
  const capable = auditCapable(store)
  if (retentionMs !== false && capable === undefined) {
    logger.warn({ event: 'audit_unsupported' }, 'authgate: the store has no insertAudit/listAudit: no audit trail')
  }
  const writer = retentionMs === false || capable === undefined ? undefined : createAuditWriter({ store: capable, events, logger, retentionMs, queueSize })
  return {
    writer,
    async query (query) {
      // Rows written before the trail was turned off are not shown either: false means no trail.
      if (writer === undefined || capable === undefined) throw new AuthError('AUTH_NOT_FOUND', { message: 'the audit trail is off (audit.retention: false) or the store cannot hold one' })
      return queryAudit(capable, query, new Date(), retentionMs === false ? undefined : retentionMs)
    }
  }
}
