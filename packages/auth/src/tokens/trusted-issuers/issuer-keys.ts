// The keys of one trusted issuer, fetched in the background and swapped in whole: verification reads `keys` and
// never waits for the network. Fetches happen on a timer (the refresh interval, shortened by the JWKS's
// Cache-Control max-age, never below MIN_CACHE_MS), after a failure (retried sooner), and when a token names a kid
// the set lacks — at most once per `unknownKidGapMs`, however many such tokens arrive (a flood of invented kids
// costs the issuer one request per gap, not one per token).
import { performance } from 'node:perf_hooks'
import { fetchJson, type FetchLimits } from './fetch-json.js'
import { buildKeySet, type ExternalKeySet } from './jwk-verifiers.js'
import { createPoller } from '../../internal/poller.js'
import { fetchUrl, type NormalisedTrustedIssuer } from './options.js'

/** A Cache-Control max-age shorter than this is read as this: an issuer cannot make us poll it in a loop. */
const MIN_CACHE_MS = 30_000
/** Unknown-kid refetches are at most this frequent (or the refresh interval, when shorter). */
const UNKNOWN_KID_GAP_MS = 60_000
/** After a failed fetch, the next try comes after at most this long. */
const RETRY_MS = 5000
/**
 * Refresh intervals without a successful fetch after which the last good keys are no longer used: an issuer that
 * rotated a compromised key out must not have it accepted here forever because its JWKS became unreachable.
 */
const STALE_INTERVALS = 3

export interface IssuerKeysLogger {
  info: (object: Record<string, unknown>, message: string) => void
  warn: (object: Record<string, unknown>, message: string) => void
}

export type UnknownKidVerdict = 'refetching' | 'unknown'

export interface IssuerKeys {
  /** The usable keys, or undefined while they cannot be had (never fetched, or stale): its tokens answer 503. */
  readonly keys: ExternalKeySet | undefined
  /** A token named a kid the set lacks: 'refetching' (a fetch is under way or was just started) or 'unknown'. */
  unknownKid: () => UnknownKidVerdict
  /** Fetches once now (joins a fetch under way). Never rejects. */
  refresh: () => Promise<void>
  start: () => void
  stop: () => void
  /** Fetches started so far (tests, metrics). */
  readonly fetches: number
}

export interface IssuerKeysOptions {
  clockToleranceMs: number
  logger?: IssuerKeysLogger
  limits?: FetchLimits
  /** Monotonic clock (ms), for tests. */
  monotonicNow?: () => number
}

export function createIssuerKeys (issuer: NormalisedTrustedIssuer, options: IssuerKeysOptions): IssuerKeys {
  const { logger, limits, clockToleranceMs } = options
  const monotonicNow = options.monotonicNow ?? (() => performance.now())
  const unknownKidGapMs = Math.min(issuer.refreshMs, UNKNOWN_KID_GAP_MS)
  let keys: ExternalKeySet | undefined
  let jwksUrl = issuer.jwksUrl
  let lastGoodAt = Number.NEGATIVE_INFINITY
  /** When a token's unknown kid last caused a fetch (monotonic); scheduled fetches do not count. */
  let lastUnknownKidFetchAt = Number.NEGATIVE_INFINITY
  let failing = false
  let fetches = 0
  let nextDelayMs = issuer.refreshMs

  async function discover (): Promise<string> {
    const { body } = await fetchJson(issuer.discoveryUrl as string, limits)
    // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
    if (body.issuer !== issuer.issuer) throw new Error('the discovery document names another issuer')
    return fetchUrl(body.jwks_uri, 'jwks_uri of the discovery document')
  }

  async function fetchOnce (): Promise<void> {
    fetches++
    try {
      jwksUrl ??= await discover()
      const { body, maxAgeSeconds } = await fetchJson(jwksUrl, limits)
      const set = buildKeySet(body, issuer, clockToleranceMs)
      if (set.size === 0) throw new Error('the JWKS holds no key usable with the configured algorithms')
      keys = set
      lastGoodAt = monotonicNow()
      nextDelayMs = maxAgeSeconds === undefined
        ? issuer.refreshMs
        : Math.min(issuer.refreshMs, Math.max(maxAgeSeconds * 1000, Math.min(MIN_CACHE_MS, issuer.refreshMs)))
      if (failing) logger?.info({ event: 'trusted_issuer_keys_recovered', issuer: issuer.issuer }, 'trusted issuer: keys fetched again')
      failing = false
      logger?.info({ event: 'trusted_issuer_keys_loaded', issuer: issuer.issuer, kids: [...set.keys()] }, 'trusted issuer: key set in use')
    } catch (error) {
      failing = true
      // Discovery is done again next time: the issuer may have moved its JWKS.
      if (issuer.discoveryUrl !== undefined) jwksUrl = undefined
      nextDelayMs = Math.min(issuer.refreshMs, RETRY_MS)
      logger?.warn({ event: 'trusted_issuer_keys_failed', issuer: issuer.issuer, err: error }, 'trusted issuer: fetching its keys failed')
    }
  }

  const poller = createPoller({ work: fetchOnce, delayMs: () => nextDelayMs })

  return {
    get keys () {
      return monotonicNow() - lastGoodAt > STALE_INTERVALS * issuer.refreshMs ? undefined : keys
    },
    unknownKid () {
      if (poller.busy) return 'refetching'
      // Measured from the last unknown-kid fetch, not the last scheduled one: a rotation right after a scheduled
      // fetch is still picked up at once.
      if (monotonicNow() - lastUnknownKidFetchAt < unknownKidGapMs) return 'unknown'
      lastUnknownKidFetchAt = monotonicNow()
      void poller.run()
      return 'refetching'
    },
    refresh: poller.run,
    start: poller.start,
    stop: poller.stop,
    get fetches () { return fetches }
  }
}
