// Tracing is opt-in: with no endpoint configured nothing here runs and no OpenTelemetry SDK, exporter or instrumentation module is ever imported
// (the import below is dynamic), so the gateway's hot path and start-up are those of a build without it.
import type { FastifyInstance } from 'fastify'
import type { TracingConfig } from '../config/types.js'
import type { GatewayTracing } from './types.js'

export type { GatewayTracing, UpstreamTracing } from './types.js'

/**
 * Starts tracing on `app`: must run before any other hook or route is added, so the request span opens first and
 * every hook and route after it is covered.
 */
export async function startTracing (app: FastifyInstance, config: TracingConfig): Promise<GatewayTracing> {
  const { createTracing } = await import('./otel.js')
  return createTracing(app, config)
}
