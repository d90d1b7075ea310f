// The OpenTelemetry side of tracing, loaded only when it is on (index.ts): @fastify/otel for the request span and
// its hook and handler spans, spans of our own for the store calls and the upstream hop, and the standard OTLP/HTTP
// exporter (JSON) behind a batch processor that is flushed when the app closes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { context, type Context, type Span } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base'
import { FastifyOtelInstrumentation, type FastifyOtelLifecycleHookInfo } from '@fastify/otel'
import type { TracingConfig } from '../config/types.js'
import { ScrubbingExporter } from './scrub.js'
import { traceStore } from './store-spans.js'
import type { GatewayTracing } from './types.js'
import { createUpstreamTracing } from './upstream-spans.js'

const INSTRUMENTATION_NAME = '@authgate/gateway'
/** One POST to the collector: a collector that accepts and never answers must not hold a batch forever. */
const EXPORT_TIMEOUT_MS = 3_000
/** The longest app.close() waits for the last spans to be sent. */
const CLOSE_TIMEOUT_MS = 5_000
/** Probes and scrapes every few seconds would bury the requests. */
const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics'])
/** Span names of the hooks that authenticate, by function name: auth-hook.ts, and the plugin's own onRequest hook. */
const AUTH_HOOKS: ReadonlyMap<string, string> = new Map([['gatewayAuth', 'authenticate'], ['authgateOnRequest', 'authenticate (plugin route policy)']])

function pathOf (url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

/** The W3C trace context and baggage headers a client may send: the gateway's trace starts at the gateway. */
const CLIENT_TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const

function dropClientTraceContext (request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  for (const name of CLIENT_TRACE_HEADERS) Reflect.deleteProperty(request.headers, name)
  done()
}

let contextManagerSet = false

/**
 * Spans find their parent through the active context: without a context manager every span would be a root.
 * Process-wide in OpenTelemetry's API, so set once (a second gateway in the process shares it).
 */
function ensureContextManager (): void {
  if (contextManagerSet) return
  contextManagerSet = true
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
}

/** The request span: named by its route (never the raw path), its target without the query. */
function requestHook (span: Span, request: FastifyRequest): void {
  const route = request.routeOptions.url
  span.updateName(route === undefined ? request.method : `${request.method} ${route}`)
  span.setAttribute('url.path', pathOf(request.url))
}

/** Authentication reads as such in a trace, whichever hook did it. */
function lifecycleHook (span: Span, info: FastifyOtelLifecycleHookInfo): void {
  const name = info.handler === undefined ? undefined : AUTH_HOOKS.get(info.handler)
  if (name !== undefined) span.updateName(name)
}

export async function createTracing (app: FastifyInstance, config: TracingConfig): Promise<GatewayTracing> {
  ensureContextManager()
  // Not registered as the global provider: the gateway hands its tracer to what needs one, and a process with two
  // gateways (tests) keeps each one's spans apart.
  const ratio = new TraceIdRatioBasedSampler(config.sampleRatio)
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    // Every trace starts here: a client's traceparent would choose trace ids and force sampling. Its headers are
    // dropped before the request span opens (below); the ratio for remote parents too covers a propagator that an
    // operator's preloaded OpenTelemetry registers process-wide, whatever reaches the extraction.
    sampler: new ParentBasedSampler({ root: ratio, remoteParentSampled: ratio, remoteParentNotSampled: ratio }),
    spanProcessors: [new BatchSpanProcessor(new ScrubbingExporter(new OTLPTraceExporter({ url: config.tracesUrl, timeoutMillis: EXPORT_TIMEOUT_MS }), app.log))]
  })
  const instrumentation = new FastifyOtelInstrumentation({
    requestHook,
    lifecycleHook,
    // onRequest holds authentication, preHandler the wait for a route slot; the other hooks are bookkeeping.
    instrumentHooks: ['onRequest', 'preHandler'],
    // The span status keeps the error code only, and no exception text is recorded (scrub.ts).
    recordExceptions: false,
    ignorePaths: (route) => UNTRACED_PATHS.has(pathOf(route.url))
  })
  instrumentation.setTracerProvider(provider)
  // Added just before the plugin, so it runs before the request span's hook: neither @fastify/otel's extraction
  // (propagation.extract on request.headers) nor the forwarding to the upstream sees a client's trace context.
  app.addHook('onRequest', dropClientTraceContext)
  await app.register(instrumentation.plugin())
  const tracer = provider.getTracer(INSTRUMENTATION_NAME)
  const requestContext = (request: FastifyRequest): Context | undefined => request.opentelemetry().context ?? undefined
  return {
    upstream: createUpstreamTracing(tracer, new W3CTraceContextPropagator(), requestContext),
    traceStore: (store) => traceStore(store, tracer),
    close: async () => {
      instrumentation.disable()
      // Flushes what the batch still holds, then stops the exporter; a collector that never answers must not hold
      // the gateway's shutdown, so the wait is bounded (the spans still unsent are lost).
      let timer: NodeJS.Timeout | undefined
      const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_TIMEOUT_MS).unref() })
      try {
        // A failed last export must not fail the close: the exporter's own warning (scrub.ts) has said so already.
        const shutdown = provider.shutdown().catch(() => {})
        await Promise.race([shutdown, bound])
      } finally {
        clearTimeout(timer)
      }
    }
  }
}
