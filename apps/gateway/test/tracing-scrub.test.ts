// The exporter guard of tracing (issue #16 item 3): whatever a span holds when it ends, what leaves the process has
// no error message, no exception text and no query value. Real spans from the SDK, exported to memory.
import t from 'tap'
import { SpanStatusCode } from '@opentelemetry/api'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ScrubbingExporter } from '../src/tracing/scrub.js'

t.test('status messages, exception text and query values are not exported; the rest is', async (t) => {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new ScrubbingExporter(memory, { warn: () => {} }))] })
  t.teardown(() => provider.shutdown())
  const span = provider.getTracer('test').startSpan('POST /auth/login', {
    attributes: { 'http.target': '/auth/login?token=QUERY-SECRET-1&next=/home', 'http.route': '/auth/login', 'http.response.status_code': 400 }
  })
  const error = new SyntaxError('Unexpected end of JSON input: {"password":"BODY-SECRET-2"')
  span.recordException(error)
  span.addEvent('note', { 'url.full': 'http://x/y?code=QUERY-SECRET-3' })
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message })
  span.end()
  await provider.forceFlush()

  const [exported] = memory.getFinishedSpans()
  if (exported === undefined) throw new Error('nothing exported')
  t.same(exported.attributes, { 'http.target': '/auth/login?token=[redacted]&next=[redacted]', 'http.route': '/auth/login', 'http.response.status_code': 400 })
  t.same(exported.status, { code: SpanStatusCode.ERROR }, 'the code stays, the message goes')
  t.same(exported.events.map((event) => [event.name, event.attributes]), [
    ['exception', { 'exception.type': 'SyntaxError' }],
    ['note', { 'url.full': 'http://x/y?code=[redacted]' }]
  ])
  t.equal(exported.name, 'POST /auth/login')
  t.equal(exported.spanContext().spanId, span.spanContext().spanId, 'the span\'s identity is kept')
})

t.test('a failing export is reported to the caller every time, and logged at most once a minute, without its error', async (t) => {
  const warnings: unknown[] = []
  const failing = { export: (_spans: unknown, done: (result: ExportResult) => void) => { done({ code: ExportResultCode.FAILED, error: new Error('ERROR-TEXT-5') }) }, shutdown: async () => {} }
  const exporter = new ScrubbingExporter(failing, { warn: (details) => { warnings.push(details) } })
  const results: ExportResult[] = []
  for (let i = 0; i < 3; i++) exporter.export([], (result) => { results.push(result) })
  t.same(results.map((result) => result.code), [ExportResultCode.FAILED, ExportResultCode.FAILED, ExportResultCode.FAILED])
  t.same(warnings, [{ event: 'trace_export_failed', spans: 0 }])
})
