// The `metrics` option: auth outcomes in the application's prom-client registry. Fed by what already happens (the
// reply of a login or refresh, the refreshReuse event, the revocation list's listeners, the key set), never by
// counters spread through the routes. prom-client is imported here only, when the option is given.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AuthgateEvents } from '../events.js'
import type { PollingRevocationList } from '../revocation/list.js'
import { LOGIN_RESULTS, REFRESH_RESULTS, outcomeOf, type Outcome } from './outcomes.js'
import type { MetricsRegistry } from './types.js'

export interface AuthMetricSources {
  events: AuthgateEvents
  revocations: PollingRevocationList
  /** The auth prefix (`/auth`): route URLs under it name the endpoint. */
  prefix: string
  /** Keys in the verification set now. */
  keyCount: () => number
  /** The key ring's generation (undefined until first read); absent with static keys: no metric then. */
  keyGeneration?: () => number | undefined
  /** The audit writer's counts (audit/writer.ts); absent without an audit trail: no metric then. */
  auditCounts?: () => { dropped: number, failed: number }
  /** The AUTH_* code a reply answered with (http/routes/error-handler.ts). */
  answeredCode: (reply: FastifyReply) => string | undefined
  /** Reset and verification deliveries dropped so far (the queue was full, or closing). */
  droppedDeliveries?: () => number
  now?: () => number
}

export interface AuthMetrics {
  /** onResponse hook of the auth routes' context. */
  onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => void
  /** Takes the metrics out of the registry (the plugin's onClose). */
  close: () => void
}

const REUSE_CLASSES = ['race', 'stale', 'theft'] as const

export async function createAuthMetrics (registry: MetricsRegistry, sources: AuthMetricSources): Promise<AuthMetrics> {
  const { Counter, Gauge } = await import('prom-client')
  const { revocations, prefix } = sources
  const now = sources.now ?? Date.now
  const { keyGeneration } = sources
  const names = ['authgate_logins_total', 'authgate_refresh_total', 'authgate_refresh_reuse_total', 'authgate_rate_limited_total',
    'authgate_revocations_total', 'authgate_revocation_list_size', 'authgate_revocation_lag_seconds', 'authgate_signing_keys',
    'authgate_recovery_deliveries_dropped_total',
    ...(keyGeneration === undefined ? [] : ['authgate_key_ring_generation']),
    ...(sources.auditCounts === undefined ? [] : ['authgate_audit_dropped_total'])]
  // Every name checked before any metric is created: a refusal leaves the caller's registry as it was.
  const taken = names.filter((name) => registry.getSingleMetric(name) !== undefined)
  if (taken.length > 0) throw new Error(`metrics: the registry already holds ${taken.join(', ')} (give each plugin instance its own registry)`)
  const registers = [registry]
  // Every outcome and class starts at 0, so a rate() over a quiet period is 0 rather than no series at all.
  const logins = new Counter({ name: 'authgate_logins_total', help: 'Password logins answered, by result.', labelNames: ['result'] as const, registers })
  for (const result of LOGIN_RESULTS) logins.inc({ result }, 0)
  const refreshes = new Counter({ name: 'authgate_refresh_total', help: 'Refresh requests answered, by result.', labelNames: ['result'] as const, registers })
  for (const result of REFRESH_RESULTS) refreshes.inc({ result }, 0)
  const reuse = new Counter({ name: 'authgate_refresh_reuse_total', help: 'Retired refresh tokens presented again, by classification (race, stale, theft).', labelNames: ['class'] as const, registers })
  for (const kind of REUSE_CLASSES) reuse.inc({ class: kind }, 0)
  const limited = new Counter({ name: 'authgate_rate_limited_total', help: 'Auth requests refused with 429 (per-IP limits and account lockout), by endpoint.', labelNames: ['endpoint'] as const, registers })
  // Every worker applies every revocation: across workers the largest count is the instance's, not their sum.
  const revoked = new Counter({ name: 'authgate_revocations_total', help: 'Revocations (sessions and subjects) applied to this process\'s revocation list.', registers, aggregator: 'max' })
  new Gauge({
    name: 'authgate_revocation_list_size', help: 'Revocations held in memory now.', registers, aggregator: 'max',
    collect () { this.set(revocations.size) }
  })
  new Gauge({
    name: 'authgate_revocation_lag_seconds', help: 'Age of the newest revocation applied (across workers, the oldest such age); NaN before the first.', registers, aggregator: 'max',
    collect () {
      const newest = revocations.newestRevokedAt
      // NaN, not 0: "nothing applied yet" must not read as "perfectly fresh".
      this.set(newest === undefined ? Number.NaN : Math.max(0, (now() - newest) / 1000))
    }
  })
  new Gauge({
    name: 'authgate_signing_keys', help: 'Keys in the verification key set (static keys, or the key ring\'s current, next and retired ones).', registers, aggregator: 'max',
    collect () { this.set(sources.keyCount()) }
  })
  let droppedSeen = 0
  new Counter({
    name: 'authgate_recovery_deliveries_dropped_total', help: 'Password-reset and verification deliveries dropped (the delivery queue was full, or closing).', registers,
    collect () {
      const dropped = sources.droppedDeliveries?.() ?? 0
      if (dropped > droppedSeen) this.inc(dropped - droppedSeen)
      droppedSeen = Math.max(droppedSeen, dropped)
    }
  })
  if (keyGeneration !== undefined) {
    new Gauge({
      name: 'authgate_key_ring_generation', help: 'Generation of the key ring this process uses (0 until its first read).', registers, aggregator: 'max',
      collect () { this.set(keyGeneration() ?? 0) }
    })
  }

  const { auditCounts } = sources
  if (auditCounts !== undefined) {
    // The writer counts (no I/O on its path); the counter catches up at each scrape, by reason.
    const seen = { queue_full: 0, store_error: 0 }
    const dropped = new Counter({
      name: 'authgate_audit_dropped_total', help: 'Audit rows not written: the queue was full (a slow or down store), or the store refused the batch.', labelNames: ['reason'] as const, registers,
      collect () {
        const counts = auditCounts()
        const now = { queue_full: counts.dropped, store_error: counts.failed }
        for (const reason of ['queue_full', 'store_error'] as const) {
          if (now[reason] > seen[reason]) this.inc({ reason }, now[reason] - seen[reason])
          seen[reason] = now[reason]
        }
      }
    })
    dropped.inc({ reason: 'queue_full' }, 0)
    dropped.inc({ reason: 'store_error' }, 0)
  }

  const stopRevoked = revocations.onRevoked(() => { revoked.inc() })
  const stopSubjects = revocations.onSubjectRevoked(() => { revoked.inc() })
  const onReuse = (event: { classification: typeof REUSE_CLASSES[number] }): void => { reuse.inc({ class: event.classification }) }
  sources.events.on('refreshReuse', onReuse)

  const loginUrl = `${prefix}/login`
  const refreshUrl = `${prefix}/refresh`
  const count = (counter: typeof logins, result: Outcome): void => { counter.inc({ result }) }
  return {
    onResponse (request, reply, done) {
      // The route's pattern, never the raw path: an unrouted request has none and is not counted.
      const url = request.routeOptions.url
      if (url !== undefined) {
        const code = sources.answeredCode(reply)
        if (request.method === 'POST' && url === loginUrl) count(logins, outcomeOf(reply.statusCode, code, LOGIN_RESULTS))
        else if (request.method === 'POST' && url === refreshUrl) count(refreshes, outcomeOf(reply.statusCode, code, REFRESH_RESULTS))
        if (reply.statusCode === 429) limited.inc({ endpoint: url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url })
      }
      done()
    },
    close () {
      stopRevoked()
      stopSubjects()
      sources.events.off('refreshReuse', onReuse)
      for (const name of names) registry.removeSingleMetric(name)
    }
  }
}
