// `tracing`: where spans go, from the file or, as OpenTelemetry SDKs read them, from OTEL_* variables. Read here
// (the configuration layer) so buildApp never looks at the environment; the section stays undefined, and no
// OpenTelemetry module is loaded, unless an endpoint is named somewhere.
import { DEFAULT_SERVICE_NAME, type TracingInput } from './schema.js'
import type { Report, TracingConfig } from './types.js'

const TRACES_PATH = '/v1/traces'

/** Where an endpoint may come from, first one set wins: the file (or AUTHGATE_TRACING_OTLP_ENDPOINT), then the standard variables. */
type EndpointSource = readonly [path: string, value: string | undefined, base: boolean]

/**
 * The URL spans are POSTed to: a base endpoint (the file's, OTEL_EXPORTER_OTLP_ENDPOINT) gets /v1/traces appended as
 * the OTLP specification says; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is. Only http(s): the exporter
 * speaks nothing else, and a typo (`localhost:4318`) must fail the start, not drop every span in silence.
 */
function tracesUrl ([path, value, base]: EndpointSource, report: Report): string | undefined {
  let url: URL
  try {
    url = new URL(value ?? '')
  } catch {
    report(path, 'must be an http:// or https:// URL')
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    report(path, 'must be an http:// or https:// URL')
    return undefined
  }
  if (url.search !== '' || url.hash !== '') {
    report(path, 'must not have a query or fragment')
    return undefined
  }
  if (!base) return url.href
  // `…/v1/traces/` names the traces path already: appending would POST to /v1/traces/v1/traces.
  const href = url.href.replace(/\/*$/, '')
  return href.endsWith(TRACES_PATH) ? href : href + TRACES_PATH
}

export function readTracing (section: TracingInput, env: Readonly<Record<string, string | undefined>>, report: Report): TracingConfig | undefined {
  const sources: EndpointSource[] = [
    ['tracing.otlpEndpoint', section.otlpEndpoint, true],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, false],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', env.OTEL_EXPORTER_OTLP_ENDPOINT, true]
  ]
  // An empty variable (`OTEL_EXPORTER_OTLP_ENDPOINT=`) is unset, as the OpenTelemetry SDKs read it.
  const source = sources.find(([, value]) => value !== undefined && value !== '')
  if (source === undefined) return undefined
  const url = tracesUrl(source, report)
  if (url === undefined) return undefined
  const serviceName = section.serviceName ?? (env.OTEL_SERVICE_NAME === undefined || env.OTEL_SERVICE_NAME === '' ? DEFAULT_SERVICE_NAME : env.OTEL_SERVICE_NAME)
  return Object.freeze({ tracesUrl: url, serviceName, sampleRatio: section.sampleRatio })
}
