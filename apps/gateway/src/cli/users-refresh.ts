// The start-up warning for a legacy user source whose sessions keep the login's roles (users.refresh: none, the
// default without users.lookupUrl).
import type { GatewayConfig } from '../config.js'

export function legacyRefreshWarning (users: GatewayConfig['users']): string | undefined {
  if (users.source !== 'upstream' || (users.refresh ?? (users.lookupUrl === undefined ? 'none' : 'recheck')) !== 'none') return undefined
  return 'users.refresh is none: a user demoted or deleted in the legacy system keeps the roles of their login until the session ends (refreshTtl); set users.lookupUrl to recheck at refresh'
}
