// The refresh policy: one refresh at a time (single flight, shared by every waiting request and, through the lock,
// by every tab), and a hard stop when refreshing stops helping, so a broken session can never loop.
import type { CrossTab } from './cross-tab.js'

/** `unavailable`: network error, 5xx, 429, malformed answer. Not a logout: an outage must not end sessions. */
export type RefreshOutcome = 'refreshed' | 'expired' | 'unavailable'

/**
 * Refreshes in a row that the server answered with a new token, each of which was then refused again (e.g. a clock
 * so wrong that every token arrives expired). After this many, the session counts as expired.
 */
export const MAX_UNPRODUCTIVE_REFRESHES = 3

export interface RefresherDeps {
  crossTab: CrossTab
  /** The token now held, compared before and after waiting for the lock. */
  currentToken(): string | null
  /** Does the HTTP refresh and stores the result; calls `end` itself on a refused refresh. */
  refreshOverHttp(): Promise<RefreshOutcome>
  /** Ends the session (once): called when refreshing is no longer allowed to help. */
  end(status: number, code: string | undefined): void
}

export interface Refresher {
  /** Refresh now, or join the refresh in flight. */
  refresh(): Promise<RefreshOutcome>
  /**
   * `rejected` was refused with a token error: refresh unless that is already done (by a refresh that finished
   * meanwhile, here or in another tab) or no longer allowed (session expired, too many unproductive refreshes).
   */
  afterRejection(rejected: string, code: string): Promise<RefreshOutcome>
  /** A request carrying a token got through the gateway: refreshing helped, reset the unproductive count. */
  noteAccepted(): void
  /** A new session started (login): refreshing is allowed again, with a fresh unproductive count. */
  reset(): void
  /** Another tab handed over a working token: automatic refresh is allowed again. */
  revive(): void
  /** The session ended: no automatic refresh until `reset()` (an explicit `refresh()` still may). */
  markExpired(): void
  readonly expired: boolean
}

export function createRefresher (deps: RefresherDeps): Refresher {
  let inflight: Promise<RefreshOutcome> | null = null
  let unproductive = 0
  let expired = false

  function refresh (): Promise<RefreshOutcome> {
    inflight ??= run().finally(() => { inflight = null })
    return inflight
  }

  async function run (): Promise<RefreshOutcome> {
    const before = deps.currentToken()
    return deps.crossTab.withRefreshLock(async () => {
      // While this tab waited for the lock, another one refreshed and handed its token over: nothing left to do.
      const now = deps.currentToken()
      if (now !== null && now !== before) return 'refreshed'
      const outcome = await deps.refreshOverHttp()
      // An explicit refresh may revive an expired client (e.g. the user logged in again in another tab).
      if (outcome === 'refreshed') expired = false
      return outcome
    })
  }

  return {
    refresh,
    async afterRejection (rejected, code) {
      if (expired) return 'expired'
      const now = deps.currentToken()
      if (now !== null && now !== rejected) return 'refreshed'
      if (inflight !== null) return inflight
      if (++unproductive > MAX_UNPRODUCTIVE_REFRESHES) {
        deps.end(401, code)
        return 'expired'
      }
      return refresh()
    },
    noteAccepted () { unproductive = 0 },
    reset () { expired = false; unproductive = 0 },
    revive () { expired = false },
    markExpired () { expired = true },
    get expired () { return expired }
  }
}
