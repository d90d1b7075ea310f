// `server.ops`: /healthz, /readyz and /metrics on a listener of their own (as Pomerium's metrics_address), so probes
// and scrapes stay on an internal address while the public listener answers 404 for them. A separate Fastify
// instance with those three routes only: none of the public app's hooks, proxying or auth plugin runs there.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { registerHealthRoutes, type OpsEndpoints } from './health.js'
import { sendGatewayError } from './errors.js'

const opsListeners = new WeakMap<FastifyInstance, FastifyInstance>()

/** The public listener's bounds on a request's head and duration (app.ts), applied here as well. */
export interface ListenerLimits {
  http: { headersTimeout: number, connectionsCheckingInterval: number, maxHeaderSize: number }
  requestTimeout: number
}

/** Builds the operations app of `app` (closed with it); server.ts makes it listen. */
export function createOpsListener (app: FastifyInstance, endpoints: OpsEndpoints, logger: FastifyBaseLogger, limits: ListenerLimits): FastifyInstance {
  // Probes and scrapes every few seconds: their request lines would drown the log (warnings and errors still show).
  const quiet = logger.level === 'silent' ? logger.child({ listener: 'ops' }) : logger.child({ listener: 'ops' }, { level: 'warn' })
  // The public listener's slowloris and head-size bounds too: an internal address is no reason to hold a connection
  // that trickles its head forever.
  const ops = Fastify({ loggerInstance: quiet, return503OnClosing: true, ...limits })
  // The public listener stops accepting at close() but this one stays up until in-flight requests finish (onClose):
  // meanwhile /readyz must say 503 so the load balancer drains this instance.
  let closing = false
  app.addHook('preClose', (done) => { closing = true; done() })
  registerHealthRoutes(ops, { ...endpoints, closing: () => closing })
  ops.setNotFoundHandler(async (_request, reply) => sendGatewayError(reply, 'GATEWAY_NOT_FOUND'))
  app.addHook('onClose', async () => { await ops.close() })
  opsListeners.set(app, ops)
  return ops
}

/** The operations app built for `app`, when `server.ops` is set. */
export function opsListenerOf (app: FastifyInstance): FastifyInstance | undefined {
  return opsListeners.get(app)
}
