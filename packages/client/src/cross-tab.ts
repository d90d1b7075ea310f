// Coordination between tabs of the same origin. Every tab shares the refresh cookie but keeps its own access token
// in memory, so without coordination N tabs would rotate the same refresh token N times at once.
// - Web Locks serialise refreshes: a tab that waited for the lock sees the token another tab just obtained and skips
//   its own refresh (the server's reuse grace window is the second line of defence, not the first).
// - BroadcastChannel hands a new access token and a logout to the other tabs.
// Both are feature-detected; where they are missing (Node, old browsers) everything degrades to a single tab.
import { isUser } from './parse.js'
import type { TokenSnapshot } from './token-state.js'

/** The minimal part of the Web Locks API used here (`navigator.locks`), declared to avoid depending on the DOM lib. */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>
}

/** The minimal part of BroadcastChannel used here; Node's and the DOM's both fit. */
interface ChannelLike {
  postMessage(message: unknown): void
  close(): void
  onmessage: ((event: { data: unknown }) => void) | null
}
type ChannelConstructor = new (name: string) => ChannelLike

export type TabMessage =
  // Times are epoch ms: tabs of one browser share a clock, so they need no translation.
  | ({ type: 'token' } & TokenSnapshot)
  | { type: 'logout' }

export interface CrossTab {
  /** Runs `task` while holding the refresh lock shared by every tab (or directly when there are no Web Locks). */
  withRefreshLock<T>(task: () => Promise<T>): Promise<T>
  post(message: TabMessage): void
  close(): void
}

export function createCrossTab (name: string, enabled: boolean, onMessage: (message: TabMessage) => void): CrossTab {
  const locks = enabled ? findLocks() : undefined
  const Channel = enabled ? findChannel() : undefined
  const channel = Channel === undefined ? undefined : new Channel(name)
  if (channel !== undefined) {
    channel.onmessage = (event) => {
      const message = parseMessage(event.data)
      if (message !== undefined) onMessage(message)
    }
  }
  return {
    withRefreshLock (task) {
      return locks === undefined ? task() : locks.request(`${name}:refresh`, task)
    },
    post (message) { channel?.postMessage(message) },
    close () { channel?.close() }
  }
}

function findLocks (): LockManagerLike | undefined {
  const navigator = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator
  return typeof navigator?.locks?.request === 'function' ? navigator.locks : undefined
}

function findChannel (): ChannelConstructor | undefined {
  const Channel = (globalThis as unknown as { BroadcastChannel?: ChannelConstructor }).BroadcastChannel
  return typeof Channel === 'function' ? Channel : undefined
}

/** Messages come from other tabs of the same origin; still, check their shape rather than trust it. */
function parseMessage (data: unknown): TabMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const message = data as Record<string, unknown>
  if (message.type === 'logout') return { type: 'logout' }
  if (message.type === 'token' && typeof message.accessToken === 'string') {
    return {
      type: 'token',
      accessToken: message.accessToken,
      expiresAt: typeof message.expiresAt === 'number' ? message.expiresAt : null,
      refreshAt: typeof message.refreshAt === 'number' ? message.refreshAt : null,
      user: isUser(message.user) ? message.user : null
    }
  }
  return undefined
}
