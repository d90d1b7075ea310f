// Operational endpoints: /healthz (the process answers), /readyz (the session store answers: 200, else 503, so a
// load balancer stops sending logins to an instance that cannot serve them), /metrics (Prometheus text).
import type { FastifyInstance } from 'fastify'
import type { GatewayMetrics } from './metrics.js'

export function registerHealthRoutes (app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    const ready = await app.authgate.storeReady()
    return reply.code(ready ? 200 : 503).header('cache-control', 'no-store')
      .send(ready ? { status: 'ready' } : { status: 'unavailable', code: 'AUTH_STORE_UNAVAILABLE' })
  })
  app.get('/metrics', async (_request, reply) => reply.header('cache-control', 'no-store')
    .type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render()))
}
