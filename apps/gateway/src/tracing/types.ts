// What the rest of the gateway sees of tracing: plain interfaces, so that app.ts and proxy-routes.ts import no
// OpenTelemetry module (only tracing/otel.ts does, and it is loaded only when tracing is on).
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyRequest } from 'fastify'

/** The client span of one proxied request: opened as its headers are built, ended with the upstream's answer. */
export interface UpstreamTracing {
  /** Opens the span under the request's and writes its `traceparent` into `headers` (the upstream request's). */
  start (request: FastifyRequest, headers: IncomingHttpHeaders, route: string): void
  /** Ends the span: the upstream's status, or undefined when it failed (refused, reset, timed out). */
  end (request: FastifyRequest, statusCode: number | undefined): void
}

export interface GatewayTracing {
  readonly upstream: UpstreamTracing
  /** `store` with one span per method call made inside a traced request (the same object otherwise). */
  traceStore<T extends object> (store: T): T
  /** Exports the spans still buffered and stops the exporter. */
  close (): Promise<void>
}
