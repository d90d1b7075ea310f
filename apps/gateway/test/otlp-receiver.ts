// A real OTLP/HTTP receiver on loopback for the tracing tests: accepts POST /v1/traces (JSON, as the
// exporter-trace-otlp-http sends it), keeps each body as it arrived and decodes the spans.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TeardownHost } from './helpers.js'

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId: string | undefined
  name: string
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number
  attributes: Record<string, unknown>
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number
  serviceName: string | undefined
}

export interface OtlpReceiver {
  /** http://127.0.0.1:PORT (the base endpoint: the exporter adds /v1/traces). */
  url: string
  /** Every body received, as text (what a leak test searches). */
  bodies: string[]
  requests: Array<{ method: string, url: string, headers: IncomingHttpHeaders }>
  spans: () => ReceivedSpan[]
}

interface OtlpValue { stringValue?: string, intValue?: string | number, boolValue?: boolean, doubleValue?: number }
interface OtlpAttribute { key: string, value: OtlpValue }
interface OtlpBody {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] }
    scopeSpans?: Array<{ spans?: Array<{ traceId: string, spanId: string, parentSpanId?: string, name: string, kind: number, attributes?: OtlpAttribute[], status?: { code?: number } }> }>
  }>
}

function attributesOf (list: OtlpAttribute[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const { key, value } of list ?? []) out[key] = value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue
  return out
}

function decode (body: string): ReceivedSpan[] {
  const parsed = JSON.parse(body) as OtlpBody
  const spans: ReceivedSpan[] = []
  for (const resource of parsed.resourceSpans ?? []) {
    const serviceName = attributesOf(resource.resource?.attributes)['service.name'] as string | undefined
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId === '' ? undefined : span.parentSpanId,
          name: span.name,
          kind: span.kind,
          attributes: attributesOf(span.attributes),
          statusCode: span.status?.code ?? 0,
          serviceName
        })
      }
    }
  }
  return spans
}

/** Largest body accepted: a test's spans are a few KiB. */
const MAX_BODY = 4 * 1024 * 1024

export async function startOtlpReceiver (t: TeardownHost): Promise<OtlpReceiver> {
  const bodies: string[] = []
  const requests: OtlpReceiver['requests'] = []
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers })
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) chunks.push(chunk)
    })
    request.on('end', () => {
      const ok = request.method === 'POST' && request.url === '/v1/traces' && request.headers['content-type'] === 'application/json' && size <= MAX_BODY
      if (ok) bodies.push(Buffer.concat(chunks).toString('utf8'))
      response.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' })
      response.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, bodies, requests, spans: () => bodies.flatMap(decode) }
}
