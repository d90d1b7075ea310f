// Whether the admin API is served. On by default (admin.roles ['admin']) wherever users live in the store; off with
// `admin.roles: []` or `verifyCredentials` (users kept elsewhere: nothing to administer here). A store without the
// admin methods (one written before them) is refused at registration when `admin` was given, else the API is left
// out and the log says so.
import type { NormalisedOptions } from '../options/normalise.js'
import type { SessionStore } from '../stores/store.js'
import { missingAdminMethods, type AdminStore } from '../admin/store-support.js'

export interface AdminLogger { warn: (object: Record<string, unknown>, message: string) => void }

export function adminStoreFor (options: NormalisedOptions, store: SessionStore, logger: AdminLogger): AdminStore | undefined {
  if (options.admin.roles.length === 0 || options.verifyCredentials !== undefined) return undefined
  const missing = missingAdminMethods(store)
  if (missing.length === 0) return store as AdminStore
  const message = `the store has no ${missing.join(', ')}: the admin API needs them`
  if (options.admin.explicit) throw new Error(`@authgate/fastify: admin: ${message} (add them to the store, or remove the admin option)`)
  logger.warn({ event: 'admin_unsupported', missing }, `authgate: ${message}; no admin routes`)
  return undefined
}
