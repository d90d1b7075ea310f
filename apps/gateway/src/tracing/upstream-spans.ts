// The upstream hop as a client span under the request's span, its context sent upstream as `traceparent` (W3C
// Trace Context) so the upstream's own spans join the same trace. Only what names the hop is recorded: the method,
// the route prefix and the upstream's address and status; never the path's query, a header or an identity.
import type { FastifyRequest } from 'fastify'
import { context, defaultTextMapSetter, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api'
import type { UpstreamTracing } from './types.js'

/** The request span's context, which @fastify/otel keeps on the request (the active one may already be gone). */
type RequestContext = (request: FastifyRequest) => Context | undefined

export function createUpstreamTracing (tracer: Tracer, propagator: TextMapPropagator, requestContext: RequestContext): UpstreamTracing {
  const spans = new WeakMap<FastifyRequest, Span>()
  return {
    start (request, headers, route) {
      const active = context.active()
      const parent = trace.getSpan(active) === undefined ? requestContext(request) : active
      // Whatever the client sent for these is not ours to forward once the gateway traces: the upstream would join
      // a trace the client chose.
      delete headers.traceparent
      delete headers.tracestate
      if (parent === undefined) return
      const span = tracer.startSpan(`${request.method} upstream`, {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': request.method, 'authgate.route': route }
      }, parent)
      spans.set(request, span)
      propagator.inject(trace.setSpan(parent, span), headers, defaultTextMapSetter)
    },
    end (request, statusCode) {
      const span = spans.get(request)
      if (span === undefined) return
      spans.delete(request)
      if (statusCode === undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR })
      } else {
        span.setAttribute('http.response.status_code', statusCode)
        if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      }
      span.end()
    }
  }
}
