// The access-token service of an instance whose keys live in the key ring (tokens.keyRing): polls the ring every
// refresh interval and swaps the service in when the ring (or the set of keys still verifying) changes, so every
// instance picks up `authgate keys rotate` without a restart.
//
// - One reference: callers hold a facade whose methods call the current service; a swap is one assignment, so a
//   request sees the old key set or the new one, never a mixture. No allocation on the hot path.
// - fast-jwt verifiers of unchanged kids are kept (VerifierCache), with their caches of verified tokens.
// - A failed poll (database down, a record that does not decrypt) keeps the last good ring: verification goes on.
//   Before any ring was read, verification answers 503 AUTH_KEYS_UNAVAILABLE: an outage, not a mass logout.
// - A kid the ring does not have is 401 AUTH_TOKEN_INVALID while the last good read is recent, 503 once it is not
//   (`completeForMs` below says why a recent read knows every key that can sign).
// - Signing stops (503) once no read has succeeded for STALE_READS refresh intervals: an instance that cannot see a
//   rotation would otherwise go on signing with a key the other instances drop at the end of its window. Gateway
//   assertions keep being signed (they live seconds, and Bearer traffic must survive a database outage).
import { performance } from 'node:perf_hooks'
import type { KeyRingRecord, KeyRingStore, StoredRingKey } from './key-ring-store.js'
import { AuthError } from '../errors.js'
import { createPoller } from '../internal/poller.js'
import { parseDuration } from '../config/duration.js'
import type { KeyEncryptionKey } from './key-ring-crypto.js'
import { isVerifying, openRingKey } from './key-ring.js'
import { buildAccessTokenService } from '../tokens/service.js'
import type { AccessTokenService, KeyInput, TokenOptions } from '../tokens/types.js'
import type { VerifierCache } from '../tokens/verify.js'

/** How often each instance reads the key ring (`tokens.keyRing.refreshInterval`); also the JWKS max-age. */
export const DEFAULT_KEY_REFRESH = '10s'
export const DEFAULT_KEY_REFRESH_MS = parseDuration(DEFAULT_KEY_REFRESH, 'tokens.keyRing.refreshInterval')
/** Refresh intervals without a successful read after which an instance stops signing access tokens. */
const STALE_READS = 3

export interface KeyRingLogger {
  info: (object: Record<string, unknown>, message: string) => void
  warn: (object: Record<string, unknown>, message: string) => void
  error: (object: Record<string, unknown>, message: string) => void
}

/** JWKS `max-age` with a key ring: at most the refresh interval, so a JWKS cache learns a `next` key in time. */
export function keyRingJwksMaxAge (refreshMs: number): number {
  return Math.floor(refreshMs / 1000)
}

/**
 * How old a `next` key must be before `keys rotate` promotes it: every instance has polled it (one refresh interval,
 * plus the read itself: an instance's reads start one interval plus one read apart) and every JWKS cache has expired
 * its copy without it (one max-age, at most one interval). Two intervals cover both, also below one second, where the
 * max-age is 0 and one interval alone would be shorter than the time between two reads.
 */
export function keyRingMinNextAgeMs (refreshMs: number): number {
  // keyRingJwksMaxAge(refreshMs) * 1000 ≤ refreshMs, so two intervals are the larger bound.
  return 2 * refreshMs
}

/**
 * How long a retired key keeps verifying: the longest token lifetime plus the clock tolerance, plus STALE_READS
 * refresh intervals, because an instance that has not read the ring since the rotation still signs with it, for at
 * most that long (it stops signing then).
 */
export function keyRingWindowMs (tokens: Pick<TokenOptions, 'accessTtl' | 'maxTtl' | 'clockTolerance'>, refreshMs: number): number {
  return ((tokens.maxTtl ?? tokens.accessTtl) + tokens.clockTolerance) * 1000 + STALE_READS * refreshMs
}

export interface KeyRingServiceOptions {
  /** Everything but the keys; `algorithm` is only the fallback of an empty ring (the current key's decides). */
  tokens: Omit<TokenOptions, 'keys' | 'signingKid'>
  store: KeyRingStore
  kek: KeyEncryptionKey
  refreshMs: number
  logger?: KeyRingLogger
  /** Wall clock (ms since the epoch) for key dates (a retired key's window), for tests. Default Date.now. */
  now?: () => number
  /**
   * Monotonic clock (ms) for how long ago the last good read was (signing stops, unknown kids turn 503), for tests.
   * Default performance.now: a wall-clock step (NTP, an operator) cannot stretch or shrink those durations.
   */
  monotonicNow?: () => number
}

export interface KeyRingTokens {
  /** Stable for the life of the process; always delegates to the newest good key set. */
  readonly tokens: AccessTokenService
  /** Polls once now and swaps if needed. Never rejects. */
  refresh: () => Promise<void>
  start: () => void
  stop: () => void
  /** Generation of the ring in use (undefined before the first successful read, or for an empty ring). */
  readonly generation: number | undefined
  /** Kids of the verification set in use. */
  readonly kids: readonly string[]
  readonly jwksMaxAge: number
}

export function createKeyRingTokens (options: KeyRingServiceOptions): KeyRingTokens {
  const { store, kek, refreshMs, logger } = options
  if (!Number.isFinite(refreshMs) || refreshMs < 50) throw new Error('key ring refresh interval must be at least 50 ms')
  const now = options.now ?? Date.now
  const monotonicNow = options.monotonicNow ?? (() => performance.now())
  const windowMs = keyRingWindowMs(options.tokens, refreshMs)
  const verifiers: VerifierCache = new Map()
  /**
   * For how long after the start of the last good read the ring is known to be complete: to hold every key that
   * can sign a token now, on any instance. Why that holds, and why it decides 401 or 503 for a kid the ring lacks:
   * - A key signs only once it is `current`, and `keys rotate` promotes only a `next` published at least
   *   keyRingMinNextAgeMs ago. A read that started less than that long ago therefore already saw, as `next`, any key
   *   that signs now, including a key a sibling instance has just promoted and signs with before this instance's next
   *   poll: that token verifies here (the sibling window of a rotation, test/instances/key-rotation.test.ts).
   * - So, while the last good read is that recent, a kid the ring lacks was never ours or was dropped (`keys retire
   *   --kid`, e.g. a compromised key): 401 AUTH_TOKEN_INVALID, the client refreshes and the user notices nothing.
   * - Once reads fail (or hang) for longer, a key may have been published and promoted unseen: the key set is not
   *   known to be complete, and an unknown kid of our shape is 503 AUTH_KEYS_UNAVAILABLE, an outage, not a logout.
   * `keys rotate --force` on a `next` younger than keyRingMinNextAgeMs gives up this guarantee for one refresh
   * interval: an instance that has not polled yet refuses tokens of the new key with 401 (its help says so).
   * Measured on this instance's monotonic clock, so a wall-clock step back cannot widen it; the ages checked by
   * `keys rotate` are the database writer's wall clock, so the machines' clocks are assumed synchronised (SECURITY.md).
   */
  const completeForMs = keyRingMinNextAgeMs(refreshMs)
  /** When the last good read started (monotonic): what it saw is the ring as of then or later. */
  let lastReadStartedAt = Number.NEGATIVE_INFINITY
  const keySetComplete = (): boolean => monotonicNow() - lastReadStartedAt < completeForMs
  const build = (keys: KeyInput[], signingKid: string | undefined, algorithm = options.tokens.algorithm): AccessTokenService =>
    buildAccessTokenService({ ...options.tokens, algorithm, keys, ...(signingKid === undefined ? {} : { signingKid }) }, { verifiers, keySetComplete })

  let service = build([], undefined)
  let ring: KeyRingRecord | null = null
  /** Opened material of the ring in use, by kid and state (a promoted key is opened again: now with its private part). */
  let opened = new Map<string, KeyInput>()
  let built = ''
  let kids: string[] = []
  let failing = false
  /** When a read of the ring last succeeded (monotonic). */
  let lastReadAt = 0

  const slot = (key: StoredRingKey): string => `${key.state}:${key.kid}`

  function adopt (record: KeyRingRecord | null): void {
    if (record?.generation === ring?.generation) return
    if (ring !== null && (record === null || record.generation < ring.generation)) {
      // Generations only grow: a ring that vanished or went back (a restored backup, a dropped collection, a lagging
      // read) is not trusted over the one in use; an outage must not look like a mass logout. After a deliberate
      // reset of the ring, restart the instances.
      throw new Error(`the key ring read is generation ${record?.generation ?? 'none'}, older than generation ${ring.generation} in use`)
    }
    const next = new Map<string, KeyInput>()
    for (const key of record?.keys ?? []) next.set(slot(key), opened.get(slot(key)) ?? openRingKey(key, kek))
    // Built before anything is committed: a generation that cannot be used leaves the last good one fully in place
    // (and is tried again on the next poll) instead of half-adopted.
    rebuild(record, next)
    ring = record
    opened = next
  }

  function rebuild (record = ring, material = opened): void {
    const at = new Date(now())
    const keys = (record?.keys ?? []).filter((key) => isVerifying(key, at, windowMs))
    const current = keys.find((key) => key.state === 'current')
    // Without a current key nothing can sign; authgate never writes such a ring, so it is treated as empty (503).
    const usable = current === undefined ? [] : keys
    const signature = `${record?.generation ?? 0}|${usable.map(slot).join(',')}`
    if (signature === built) return
    service = build(usable.map((key) => material.get(slot(key)) as KeyInput), current?.kid, current?.alg)
    built = signature
    kids = usable.map((key) => key.kid)
    if (record !== null && current === undefined) logger?.error({ event: 'key_ring_no_current', generation: record.generation }, 'key ring: no current key; tokens answer 503')
    else logger?.info({ event: 'key_ring_loaded', generation: record?.generation, current: current?.kid, kids }, 'key ring: key set in use')
  }

  async function pollOnce (): Promise<void> {
    const startedAt = monotonicNow()
    try {
      adopt(await store.readKeyRing())
      lastReadAt = monotonicNow()
      lastReadStartedAt = startedAt
      if (failing) logger?.info({ event: 'key_ring_poll_recovered' }, 'key ring: polling works again')
      failing = false
    } catch (error) {
      // The last good ring stays in use. Logged on every failed poll: a key that does not decrypt needs an operator.
      failing = true
      logger?.warn({ event: 'key_ring_poll_failed', err: error }, 'key ring: reading the signing keys failed; the last good key set stays in use')
    }
    try {
      // Also after a failed poll: retired keys leave the verification set at the end of their window regardless.
      rebuild()
    } catch (error) {
      logger?.error({ event: 'key_ring_invalid', err: error }, 'key ring: the key set cannot be used; the last good key set stays in use')
    }
  }

  const poller = createPoller({ work: pollOnce, delayMs: () => refreshMs })

  const tokens: AccessTokenService = {
    sign: (input) => {
      if (ring !== null && monotonicNow() - lastReadAt > STALE_READS * refreshMs) throw new AuthError('AUTH_KEYS_UNAVAILABLE', { retryAfter: 5 })
      return service.sign(input)
    },
    verify: (token) => service.verify(token),
    jwks: () => service.jwks(),
    signAssertion: (claims, audience, ttlSeconds) => service.signAssertion(claims, audience, ttlSeconds)
  }

  return {
    tokens,
    refresh: poller.run,
    start: poller.start,
    stop: poller.stop,
    get generation () { return ring?.generation },
    get kids () { return kids },
    jwksMaxAge: keyRingJwksMaxAge(refreshMs)
  }
}
