// The gateway's metrics, exposed through prom-client. The hot path bumps plain numbers in records that hooks hold
// (one per route, made at start-up): no label lookup, hashing or allocation per request. prom-client's own label
// children hash their labels on every inc() (≈ 0.25 µs, 0.35 µs per histogram observe, measured), so the records
// are read into the registry at scrape time instead (collect), where prom-client formats and aggregates them.
import { Counter, Gauge, type Metric, type MetricObjectWithValues, type MetricValueWithName, type Registry } from 'prom-client'

export const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const

export class Histogram {
  readonly counts = new Array<number>(BUCKETS.length).fill(0)
  sum = 0
  count = 0

  observe (seconds: number): void {
    this.sum += seconds
    this.count++
    for (let index = 0; index < BUCKETS.length; index++) {
      if (seconds <= (BUCKETS[index] ?? Infinity)) {
        this.counts[index] = (this.counts[index] ?? 0) + 1
        return
      }
    }
  }
}

/** A route's admission state now (route-gate.ts), read when /metrics is rendered. */
export interface RouteLoad {
  readonly active: number
  readonly queued: number
}

/** Why an upstream request failed: a fixed set, so the label cannot grow. */
export const UPSTREAM_ERROR_KINDS = ['timeout', 'refused', 'reset', 'other'] as const
export type UpstreamErrorKind = typeof UPSTREAM_ERROR_KINDS[number]

export interface RouteMetrics {
  /** The configured prefix (or a fixed name such as `(none)`): never a raw path. */
  readonly label: string
  readonly statuses: Map<number, number>
  readonly upstreamLatency: Histogram
  readonly upstreamErrors: Record<UpstreamErrorKind, number>
  /** Set by the route's gate once it exists; routes without one (the 400 and 404 records) have none. */
  load?: RouteLoad
}

const UPSTREAM_ERROR_CODES: Readonly<Record<string, UpstreamErrorKind>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  // No answer's head within the route timeout (or what the route gate left of it).
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  // A body slower than the route timeout (a small answer is held until complete, so its body timeout still gets an
  // answer).
  UND_ERR_BODY_TIMEOUT: 'timeout'
}

/**
 * The kind of an upstream failure: the forwarder's (upstream-forward.ts) and reply-from's (upgrades, parametric
 * prefixes) both wrap undici's error, whose code says what happened; reply-from's 504 is a timeout.
 */
export function upstreamErrorKind (error: unknown): UpstreamErrorKind {
  const failure = error as { statusCode?: unknown, code?: unknown, cause?: { code?: unknown } } | null
  if (failure?.statusCode === 504) return 'timeout'
  for (const code of [failure?.cause?.code, failure?.code]) {
    const kind = typeof code === 'string' ? UPSTREAM_ERROR_CODES[code] : undefined
    if (kind !== undefined) return kind
  }
  return 'other'
}

export class GatewayMetrics {
  private readonly routes = new Map<string, RouteMetrics>()
  private readonly authFailures = new Map<string, number>()

  /** The record of one route (created once at start-up; hooks keep it). */
  route (label: string): RouteMetrics {
    let record = this.routes.get(label)
    if (record === undefined) {
      record = { label, statuses: new Map(), upstreamLatency: new Histogram(), upstreamErrors: { timeout: 0, refused: 0, reset: 0, other: 0 } }
      this.routes.set(label, record)
    }
    return record
  }

  countResponse (record: RouteMetrics, statusCode: number): void {
    record.statuses.set(statusCode, (record.statuses.get(statusCode) ?? 0) + 1)
  }

  countUpstreamError (record: RouteMetrics, kind: UpstreamErrorKind): void {
    record.upstreamErrors[kind]++
  }

  /** `code` is an AUTH_* code (a fixed set). */
  countAuthFailure (code: string): void {
    this.authFailures.set(code, (this.authFailures.get(code) ?? 0) + 1)
  }

  /** Puts the records in `registry`: read at each scrape. */
  register (registry: Registry): void {
    const records = this.routes
    const failures = this.authFailures
    const registers = [registry]
    new Counter({
      name: 'authgate_requests_total', help: 'Requests answered, by route prefix and status code.', labelNames: ['route', 'status'] as const, registers,
      collect () {
        this.reset()
        for (const record of records.values()) for (const [status, count] of record.statuses) this.inc({ route: record.label, status: String(status) }, count)
      }
    })
    // registerMetric() accepts prom-client's own classes only by type; the registry needs just name, get() and reset().
    registry.registerMetric(new RouteHistogram(records) as unknown as Metric)
    new Counter({
      name: 'authgate_upstream_errors_total', help: 'Upstream requests that failed (502/504), by route prefix and kind (timeout, refused, reset, other).', labelNames: ['route', 'kind'] as const, registers,
      collect () {
        this.reset()
        for (const record of records.values()) {
          for (const kind of UPSTREAM_ERROR_KINDS) if (record.upstreamErrors[kind] > 0) this.inc({ route: record.label, kind }, record.upstreamErrors[kind])
        }
      }
    })
    new Counter({
      name: 'authgate_auth_failures_total', help: 'Requests refused by the gateway\'s authentication, by error code.', labelNames: ['code'] as const, registers,
      collect () {
        this.reset()
        for (const [code, count] of failures) this.inc({ code }, count)
      }
    })
    const load = (name: keyof RouteLoad, help: string): void => {
      new Gauge({
        name: `authgate_route_${name}`, help, labelNames: ['route'] as const, registers,
        collect () {
          this.reset()
          for (const record of records.values()) if (record.load !== undefined) this.set({ route: record.label }, record.load[name])
        }
      })
    }
    load('active', 'Requests (and WebSocket connections) of a route holding one of its maxConcurrent slots now.')
    load('queued', 'Requests of a route waiting for a free slot now.')
  }
}

/**
 * What prom-client's Histogram.get() returns. Its typings declare `type` as a numeric enum that prom-client does not
 * export at run time (its objects carry the string), and get() results carry no collect: hence the two replaced.
 */
type RouteHistogramValues = Omit<MetricObjectWithValues<MetricValueWithName<'route' | 'le'>>, 'type' | 'collect'> & { type: 'histogram' }

/**
 * authgate_upstream_response_seconds from the routes' own histograms, in the shape prom-client's registry and
 * cluster aggregator read from a Histogram (its get()): prom-client has no way to set bucket counts directly.
 */
class RouteHistogram {
  readonly name = 'authgate_upstream_response_seconds'
  readonly help = 'Time from a request\'s arrival to its upstream\'s response headers.'
  readonly type = 'histogram'
  readonly aggregator = 'sum' as const
  constructor (private readonly records: ReadonlyMap<string, RouteMetrics>) {}

  get (): RouteHistogramValues {
    const values: Array<MetricValueWithName<'route' | 'le'>> = []
    for (const record of this.records.values()) {
      const histogram = record.upstreamLatency
      if (histogram.count === 0) continue
      const route = record.label
      let cumulative = 0
      // `le` first, as prom-client's Histogram labels its buckets: the rendered lines are the same (metrics.test.ts).
      BUCKETS.forEach((bound, index) => {
        cumulative += histogram.counts[index] ?? 0
        values.push({ labels: { le: bound, route }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      values.push({ labels: { le: '+Inf', route }, value: histogram.count, metricName: `${this.name}_bucket` })
      values.push({ labels: { route }, value: histogram.sum, metricName: `${this.name}_sum` })
      values.push({ labels: { route }, value: histogram.count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset (): void { /* the records are the state; a registry reset cannot clear them */ }
}
