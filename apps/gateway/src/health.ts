// Operational endpoints: /healthz (the process answers), /readyz (the session store answers: 200, else 503, so a
// load balancer stops sending logins to an instance that cannot serve them), /metrics (Prometheus text). Served on
// the public listener, or on the operations listener alone when `server.ops` is set (ops-listener.ts).
import type { FastifyInstance } from 'fastify'

export interface OpsEndpoints {
  storeReady: () => Promise<boolean>
  /** The Prometheus text: this process's registry, or the cluster's aggregate (metrics-cluster.ts). */
  metricsText: () => Promise<string>
}

export const OPS_PATHS = ['/healthz', '/readyz', '/metrics'] as const

export function registerHealthRoutes (app: FastifyInstance, endpoints: OpsEndpoints): void {
  // `auth: 'none'`: probes carry no token, whatever the plugin's defaultAuth.
  const config = { auth: 'none' as const }
  app.get('/healthz', { config }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }))
  app.get('/readyz', { config }, async (_request, reply) => {
    const ready = await endpoints.storeReady()
    return reply.code(ready ? 200 : 503).header('cache-control', 'no-store')
      .send(ready ? { status: 'ready' } : { status: 'unavailable', code: 'AUTH_STORE_UNAVAILABLE' })
  })
  app.get('/metrics', { config }, async (_request, reply) => reply.header('cache-control', 'no-store')
    .type('text/plain; version=0.0.4; charset=utf-8').send(await endpoints.metricsText()))
}
