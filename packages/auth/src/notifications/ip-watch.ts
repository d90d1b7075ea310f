// New-IP detection, off the request path: login and refresh hand a sighting to `seen` and return at once. A small
// bounded queue feeds the store (stores/ip-memory.ts decides what is new), and `newIp` is emitted from there. A full
// queue drops sightings (counted, logged at most once a minute), a store call that fails or hangs is logged and given
// up after `timeoutMs`: a sick store costs notifications, never a login.
import type { FastifyBaseLogger } from 'fastify'
import type { AuthgateEvents } from '../events.js'
import type { SessionStore } from '../stores/store.js'
import { createThrottledWarning } from '../internal/log-throttle.js'
import { settleWithin } from '../internal/deadline.js'
import { networkOf, type IpPrefix } from './ip-network.js'
import type { NetworkVerdict } from '../stores/ip-memory.js'

export interface IpSighting {
  userId: string
  sessionId: string
  ip: string
  userAgent: string
  via: 'login' | 'refresh'
  at: Date
}

export type IpWatchLogger = Pick<FastifyBaseLogger, 'warn'>

export interface IpWatchOptions {
  store: Pick<SessionStore, 'recordNetwork'>
  events: Pick<AuthgateEvents, 'emit'>
  logger: IpWatchLogger
  memoryMs: number
  prefix: IpPrefix
  maxNetworks: number
  /** Sightings waiting at most; past it new ones are dropped. */
  maxPending?: number
  /** Store calls in flight at most. */
  concurrency?: number
  /** A store call not settled after this long is given up (it may still land; its answer is ignored). */
  timeoutMs?: number
}

export interface IpWatch {
  /** Queues the sighting; never throws, never waits. */
  seen: (sighting: IpSighting) => void
  /** Resolves once nothing is queued or in flight (tests, shutdown). */
  idle: () => Promise<void>
  /** Drops what is queued; later sightings are ignored. */
  stop: () => void
}

/**
 * On `app.authgate` (not enumerable, not in its type): resolves once the plugin's new-IP checks are done. For tests,
 * which must not assert "no event" before the check that could have emitted it has run.
 */
export const IP_WATCH_IDLE: unique symbol = Symbol('authgate.ipWatchIdle')

export const DEFAULT_MAX_PENDING = 1000
/**
 * Users whose last sighting this process recorded lately: another sighting at that same address skips the store (a
 * client refreshes every few minutes, the memory counts in days). Only the same address as the user's last one, so
 * `previousIp` stays the address of the user's previous sighting. At most this many users, the oldest forgotten first.
 */
const MAX_RECENT = 10_000
/**
 * Longer than the access TTL (15 minutes by default, so refreshes from one place do skip). The skip only delays the
 * stored last-seen time: a network in use is forgotten at most this long before `memoryMs` has passed since its
 * last use, and the hundredth-of-the-memory cap keeps that early end small however short the memory.
 */
const MAX_RECENT_WINDOW_MS = 6 * 3_600_000
const DEFAULT_CONCURRENCY = 4
const DEFAULT_TIMEOUT_MS = 10_000

class GaveUp extends Error {
  override name = 'TimeoutError'
}

export function createIpWatch (options: IpWatchOptions): IpWatch {
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const record = options.store.recordNetwork?.bind(options.store)
  const throttle = createThrottledWarning()
  const queue: IpSighting[] = []
  const recent = new Map<string, { ip: string, at: number }>()
  // A hundredth of the memory at most: a network cannot stay known past its memory because of the skip (it can only
  // be forgotten up to the window early).
  const recentWindowMs = Math.min(MAX_RECENT_WINDOW_MS, options.memoryMs / 100)
  let running = 0
  let stopped = false
  let waiters: Array<() => void> = []

  function settle (): void {
    if (queue.length > 0 || running > 0) return
    const done = waiters
    waiters = []
    for (const resolve of done) resolve()
  }

  async function check (sighting: IpSighting): Promise<void> {
    const network = networkOf(sighting.ip, options.prefix)
    if (network === null || record === undefined) return
    const call = callStore(() => record({ userId: sighting.userId, network, ip: sighting.ip, now: sighting.at, memoryMs: options.memoryMs, maxNetworks: options.maxNetworks }))
    try {
      const verdict = await settleWithin(call, timeoutMs, () => new GaveUp(`no answer within ${timeoutMs} ms`))
      remember(sighting)
      announce(sighting, network, verdict)
    } catch (error) {
      throttle.warn(options.logger, 'ip_record_failed', { event: 'ip_record_failed', userId: sighting.userId, err: error }, 'authgate: could not check the address against the user\'s known networks')
      // The write may land after the give-up: from then on the network is known, so its late verdict is the only
      // chance to tell. A late rejection must not surface as unhandled.
      if (error instanceof GaveUp) call.then((verdict) => { announce(sighting, network, verdict) }).catch(() => {})
    }
  }

  /** A custom store's recordNetwork may throw instead of rejecting: logged like a rejection, never thrown here. */
  function callStore (call: () => Promise<NetworkVerdict>): Promise<NetworkVerdict> {
    try {
      return Promise.resolve(call())
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }

  function announce (sighting: IpSighting, network: string, verdict: NetworkVerdict): void {
    // After stop the application is closing: its listeners (a webhook POST) must not run past close.
    if (stopped || !verdict.isNew || verdict.previousIp === null) return
    options.events.emit('newIp', {
      userId: sighting.userId, sessionId: sighting.sessionId, previousIp: verdict.previousIp, ip: sighting.ip, network,
      userAgent: sighting.userAgent, via: sighting.via, at: sighting.at
    })
  }

  function remember (sighting: IpSighting): void {
    recent.delete(sighting.userId)
    recent.set(sighting.userId, { ip: sighting.ip, at: sighting.at.getTime() })
    if (recent.size > MAX_RECENT) recent.delete(recent.keys().next().value as string)
  }

  function recentlyRecorded (sighting: IpSighting): boolean {
    const last = recent.get(sighting.userId)
    return last !== undefined && last.ip === sighting.ip && sighting.at.getTime() - last.at < recentWindowMs
  }

  function pump (): void {
    while (!stopped && running < concurrency && queue.length > 0) {
      const next = queue.shift() as IpSighting
      running++
      void check(next).catch(() => {}).finally(() => {
        running--
        pump()
        settle()
      })
    }
  }

  return {
    seen (sighting) {
      if (stopped || record === undefined || recentlyRecorded(sighting)) return
      if (queue.length >= maxPending) {
        throttle.warn(options.logger, 'ip_queue_full', { event: 'ip_queue_full', maxPending }, 'authgate: new-IP checks are falling behind; sightings dropped')
        return
      }
      queue.push(sighting)
      pump()
    },
    idle () {
      return new Promise((resolve) => {
        waiters.push(resolve)
        settle()
      })
    },
    stop () {
      stopped = true
      queue.length = 0
      settle()
    }
  }
}
