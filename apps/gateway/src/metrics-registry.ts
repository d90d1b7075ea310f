// The registry /metrics renders: the gateway's route metrics (metrics.ts), the plugin's auth outcomes (its
// `metrics` option), Node's process metrics and the build. One per app, never prom-client's global registry, so
// apps built side by side (tests, embedding) do not share counts.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client'

let processMetrics: Registry | undefined

/**
 * Event-loop lag, heap, GC, handles, CPU, file descriptors (prom-client's process_* and nodejs_* metrics): collected
 * once per process, since each collectDefaultMetrics() starts its own event-loop monitor and GC observer that no
 * registry can stop. Every app's registry holds the same metric objects (they describe the process, not the app).
 */
function defaultMetrics (): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry()
    collectDefaultMetrics({ register: processMetrics })
  }
  return processMetrics
}

export function createMetricsRegistry (version: string): Registry {
  const registry = new Registry()
  const shared = defaultMetrics()
  for (const { name } of shared.getMetricsAsArray()) {
    const metric = shared.getSingleMetric(name)
    if (metric !== undefined) registry.registerMetric(metric)
  }
  const build = new Gauge({
    name: 'authgate_build_info', help: 'The running gateway: its version and Node\'s (always 1).', labelNames: ['version', 'node'] as const,
    registers: [registry], aggregator: 'first'
  })
  build.set({ version, node: process.version }, 1)
  // Summed by the cluster aggregate: a scrape that shows fewer than server.workers missed some (metrics-cluster.ts).
  new Gauge({ name: 'authgate_workers_reporting', help: 'Processes whose counts this scrape includes (server.workers when every worker answered).', registers: [registry] }).set(1)
  return registry
}
