// Operational endpoints: /healthz (the process answers), /readyz (the session store answers: 200, else 503, so a
// load balancer stops sending logins to an instance that cannot serve them), /metrics (Prometheus text). Served on
// the public listener, or on the operations listener alone when `server.ops` is set (ops-listener.ts).
import type { FastifyInstance } from 'fastify'

export interface OpsEndpoints {
  storeReady: () => Promise<boolean>
  /** The Prometheus text: this process's registry, or the cluster's aggregate (metrics-cluster.ts). */
  metricsText: () => Promise<string>
  /** True once the gateway is shutting down: /readyz answers 503 (the ops listener outlives the public one). */
  closing?: () => boolean
}

export const OPS_PATHS = ['/healthz', '/readyz', '/metrics'] as const

export function registerHealthRoutes (app: FastifyInstance, endpoints: OpsEndpoints): void {
  // `auth: 'none'`: probes carry no token, whatever the plugin's defaultAuth.
  const config = { auth: 'none' as const }
  app.get('/healthz', { config }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }))
  app.get('/readyz', { config }, async (_request, reply) => {
    if (endpoints.closing?.() === true) {
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'unavailable', reason: 'shutting down' })
    }
    const ready = await endpoints.storeReady()
    return reply.code(ready ? 200 : 503).header('cache-control', 'no-store')
      .send(ready ? { status: 'ready' } : { status: 'unavailable', code: 'AUTH_STORE_UNAVAILABLE' })
  })
  app.get('/metrics', { config }, async (_request, reply) => {
    reply.header('cache-control', 'no-store')
    let text: string
    try {
      text = await endpoints.metricsText()
    } catch {
      // A failed scrape (up == 0) rather than partial counts Prometheus would read as counter resets.
      return reply.code(503).send({ status: 'unavailable', reason: 'the cluster metrics aggregate is unavailable' })
    }
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text)
  })
}
