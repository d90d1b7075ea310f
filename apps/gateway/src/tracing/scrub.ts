// The last guard before spans leave the process: whatever an instrumentation recorded, no query value, error
// message or exception text is exported. @fastify/otel puts the request target (query included) in `url.path` and
// an error's message in the span status; Node's JSON.parse quotes the body it failed on, which may hold a password.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { Attributes } from '@opentelemetry/api'
import { redactQuery } from '../redact-query.js'

/** Attributes with every string value's query values replaced (`?code=[redacted]`). */
function scrubAttributes (attributes: Attributes): Attributes {
  let copy: Attributes | undefined
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string' && value.includes('?')) {
      copy ??= { ...attributes }
      copy[key] = redactQuery(value)
    }
  }
  return copy ?? attributes
}

/** A view of `span` (its prototype: the methods and every other field stay) without messages or query values. */
export function scrubSpan (span: ReadableSpan): ReadableSpan {
  return Object.create(span, {
    attributes: { value: scrubAttributes(span.attributes) },
    status: { value: { code: span.status.code } },
    // Exceptions keep their type only: their message and stack may quote the input.
    events: {
      value: span.events.map((event) => event.name === 'exception'
        ? { ...event, attributes: { 'exception.type': event.attributes?.['exception.type'] ?? 'Error' } }
        : { ...event, attributes: event.attributes === undefined ? undefined : scrubAttributes(event.attributes) })
    }
  }) as ReadableSpan
}

/** A collector that is down fails every batch: one line a minute says so without flooding the log. */
const FAILURE_WARNING_INTERVAL_MS = 60_000

export interface ExportFailureLog { warn: (details: { event: string, spans: number }, message: string) => void }

export class ScrubbingExporter implements SpanExporter {
  private lastWarning = -Infinity
  constructor (private readonly exporter: SpanExporter, private readonly log: ExportFailureLog) {}
  export (spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.exporter.export(spans.map(scrubSpan), (result) => {
      // The error itself is not logged: its message may quote the collector's answer or the request.
      if (result.code !== ExportResultCode.SUCCESS && performance.now() - this.lastWarning >= FAILURE_WARNING_INTERVAL_MS) {
        this.lastWarning = performance.now()
        this.log.warn({ event: 'trace_export_failed', spans: spans.length }, 'authgate: spans could not be sent to the OTLP endpoint')
      }
      resultCallback(result)
    })
  }

  async shutdown (): Promise<void> { await this.exporter.shutdown() }
  async forceFlush (): Promise<void> { await this.exporter.forceFlush?.() }
}
