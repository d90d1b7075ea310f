// The in-memory access token and when to refresh it. Memory only, on purpose: a token in localStorage can be read by
// any script injected into the page, while the long-lived credential (the refresh cookie) is HttpOnly.
import { tokenLifetimeSeconds } from './jwt.js'
import type { AuthUser } from './types.js'

export interface TokenSnapshot {
  accessToken: string
  /** Epoch ms of this machine's clock; null when the lifetime is unknown. */
  expiresAt: number | null
  /** Epoch ms after which a request should refresh first; null when unknown. */
  refreshAt: number | null
  user: AuthUser | null
}

export interface TokenState {
  readonly current: TokenSnapshot | null
  /** Stores a token received from the server just now; returns the snapshot (for handing to other tabs). */
  receive(accessToken: string, expiresInSeconds: number | undefined, user: AuthUser | null): TokenSnapshot
  /** Stores a snapshot handed over by another tab as is (same clock). */
  adopt(snapshot: TokenSnapshot): void
  clear(): void
  /** True when proactive refresh is due: the token has less than the skew left. */
  refreshDue(now: number): boolean
}

export function createTokenState (refreshSkewSeconds: number): TokenState {
  let current: TokenSnapshot | null = null
  return {
    get current () { return current },
    receive (accessToken, expiresInSeconds, user) {
      // Prefer the token's own exp - iat; fall back to the server's expiresIn. Both are durations, counted from
      // reception on the local clock, so a client clock that is off does not matter.
      const lifetimeSeconds = tokenLifetimeSeconds(accessToken) ?? expiresInSeconds
      const now = Date.now()
      let expiresAt: number | null = null
      let refreshAt: number | null = null
      if (lifetimeSeconds !== undefined) {
        const lifetimeMs = lifetimeSeconds * 1000
        expiresAt = now + lifetimeMs
        // Never more than half the lifetime early, or a short-lived token would be refreshed on every request.
        refreshAt = expiresAt - Math.min(refreshSkewSeconds * 1000, lifetimeMs / 2)
      }
      current = { accessToken, expiresAt, refreshAt, user: user ?? current?.user ?? null }
      return current
    },
    adopt (snapshot) { current = snapshot },
    clear () { current = null },
    refreshDue (now) {
      return current?.refreshAt != null && now >= current.refreshAt
    }
  }
}
