// The registry the `metrics` option takes. Type-only: prom-client is an optional peer dependency, loaded at
// registration only when the option is given (auth-metrics.ts), so applications without metrics never need it.
import type { Registry } from 'prom-client'

export type MetricsRegistry = Registry
