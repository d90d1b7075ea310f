// `users.source: upstream`, normalised: what users/legacy.ts needs to ask the legacy system.

export interface LegacyUsersConfig {
  readonly url: string
  /** Dot paths into the legacy login's JSON answer. */
  readonly map: { readonly id: string, readonly roles: string | undefined, readonly email: string | undefined }
  readonly timeoutMs: number
  /** `recheck`: refresh asks `lookupUrl` who the user is now; `none`: the login's roles for the whole session. */
  readonly refresh: 'recheck' | 'none'
  readonly lookupUrl: string | undefined
  readonly recheckIntervalMs: number
}
