// `users.refresh`, `users.lookupUrl`, `users.recheckInterval` (legacy source): whether refresh asks the legacy system
// again who the user is. `recheck` is the default whenever a lookup URL is given; without one the gateway cannot
// ask, so an omitted `refresh` means `none` (start and `config check` warn: roles stay those of the login), and an
// explicit `refresh: recheck` without `lookupUrl` is refused.
import type { Plain, Reader } from './reader.js'
import type { LegacyRefreshConfig } from './types.js'

export const LEGACY_REFRESH_KEYS = ['refresh', 'lookupUrl', 'recheckInterval'] as const

export function readLegacyRefresh (reader: Reader, users: Plain): LegacyRefreshConfig {
  const lookupUrl = users.lookupUrl === undefined ? undefined : reader.httpUrl(users.lookupUrl, 'users.lookupUrl')
  const refresh = reader.oneOf(users.refresh, 'users.refresh', ['recheck', 'none'] as const, lookupUrl === undefined ? 'none' : 'recheck')
  if (refresh === 'recheck' && lookupUrl === undefined) reader.fail('users.lookupUrl', 'is required with users.refresh: recheck (or set users.refresh: none)')
  if (refresh === 'none' && users.recheckInterval !== undefined) reader.fail('users.recheckInterval', 'needs users.refresh: recheck')
  return Object.freeze({
    refresh,
    lookupUrl,
    recheckIntervalMs: reader.duration(users.recheckInterval, 'users.recheckInterval', '5m', 0, 86_400_000)
  })
}

/** The start-up warning for a legacy source whose sessions keep the login's roles, or undefined. */
export function legacyRefreshWarning (users: { readonly source: string } & Partial<LegacyRefreshConfig>): string | undefined {
  if (users.source !== 'upstream' || users.refresh !== 'none') return undefined
  return 'users.refresh is none: a user demoted or deleted in the legacy system keeps the roles of their login until the session ends (refreshTtl); set users.lookupUrl to recheck at refresh'
}
