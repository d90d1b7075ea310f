// Prometheus text exposition for /metrics, without a dependency: requests by route and status, time to the
// upstream's response headers per route, authentication failures by code. Counters are plain numbers bumped in
// place by hooks that hold their route's record, so the hot path does no lookups by label.

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

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

export interface RouteMetrics {
  readonly label: string
  readonly statuses: Map<number, number>
  readonly upstreamLatency: Histogram
  /** Set by the route's gate once it exists; routes without one (the 400 and 404 records) have none. */
  load?: RouteLoad
}

function escapeLabel (value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

export class GatewayMetrics {
  private readonly routes = new Map<string, RouteMetrics>()
  private readonly authFailures = new Map<string, number>()

  /** The record of one route (created once at start-up; hooks keep it). */
  route (label: string): RouteMetrics {
    let record = this.routes.get(label)
    if (record === undefined) this.routes.set(label, record = { label, statuses: new Map(), upstreamLatency: new Histogram() })
    return record
  }

  countResponse (record: RouteMetrics, statusCode: number): void {
    record.statuses.set(statusCode, (record.statuses.get(statusCode) ?? 0) + 1)
  }

  countAuthFailure (code: string): void {
    this.authFailures.set(code, (this.authFailures.get(code) ?? 0) + 1)
  }

  private renderLoad (lines: string[], name: keyof RouteLoad, help: string): void {
    lines.push(`# HELP authgate_route_${name} ${help}`, `# TYPE authgate_route_${name} gauge`)
    for (const record of this.routes.values()) {
      if (record.load !== undefined) lines.push(`authgate_route_${name}{route="${escapeLabel(record.label)}"} ${record.load[name]}`)
    }
  }

  render (): string {
    const lines: string[] = [
      '# HELP authgate_requests_total Requests answered, by route prefix and status code.',
      '# TYPE authgate_requests_total counter'
    ]
    for (const record of this.routes.values()) {
      for (const [status, count] of record.statuses) lines.push(`authgate_requests_total{route="${escapeLabel(record.label)}",status="${status}"} ${count}`)
    }
    lines.push(
      '# HELP authgate_upstream_response_seconds Time from a request\'s arrival to its upstream\'s response headers.',
      '# TYPE authgate_upstream_response_seconds histogram'
    )
    for (const record of this.routes.values()) {
      const histogram = record.upstreamLatency
      if (histogram.count === 0) continue
      const route = escapeLabel(record.label)
      let cumulative = 0
      BUCKETS.forEach((bound, index) => {
        cumulative += histogram.counts[index] ?? 0
        lines.push(`authgate_upstream_response_seconds_bucket{route="${route}",le="${bound}"} ${cumulative}`)
      })
      lines.push(`authgate_upstream_response_seconds_bucket{route="${route}",le="+Inf"} ${histogram.count}`)
      lines.push(`authgate_upstream_response_seconds_sum{route="${route}"} ${histogram.sum}`)
      lines.push(`authgate_upstream_response_seconds_count{route="${route}"} ${histogram.count}`)
    }
    lines.push(
      '# HELP authgate_auth_failures_total Requests refused by the gateway\'s authentication, by error code.',
      '# TYPE authgate_auth_failures_total counter'
    )
    for (const [code, count] of this.authFailures) lines.push(`authgate_auth_failures_total{code="${escapeLabel(code)}"} ${count}`)
    this.renderLoad(lines, 'active', 'Requests (and WebSocket connections) of a route holding one of its maxConcurrent slots now.')
    this.renderLoad(lines, 'queued', 'Requests of a route waiting for a free slot now.')
    return lines.join('\n') + '\n'
  }
}
