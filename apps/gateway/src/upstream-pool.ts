// The upstream connection pool: one undici Agent, one Pool per upstream origin, sized to the sum of the
// `maxConcurrent` slots of the routes on that origin. Each route admits at most its own slots (route-gate.ts), so
// the pool never has to queue: a flood on one route cannot take the connections another route on the same origin
// needs (issue #11: ~130 slow uploads to a public route left `/api` on the same upstream unanswered).
import { Agent, Pool } from 'undici'
import type { RouteConfig } from './config.js'

export function createUpstreamAgent (routes: readonly RouteConfig[]): Agent {
  const slots = new Map<string, number>()
  for (const route of routes) {
    const origin = new URL(route.upstream).origin
    slots.set(origin, (slots.get(origin) ?? 0) + route.maxConcurrent)
  }
  // No pipelining: it measured slower than plain keep-alive here (docs/benchmarks.md#early-measurements) and a slow
  // response would stall the ones behind it.
  return new Agent({
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    // The Agent hands each Pool its own options (a plain object, typed `Object`).
    factory: (origin, options) => new Pool(origin, { ...(options as Pool.Options), connections: slots.get(new URL(origin).origin) ?? 1 })
  })
}
