// Tracing off (issue #16 item 3): a gateway without an endpoint serves requests without loading the OpenTelemetry SDK,
// its exporter or @fastify/otel. @opentelemetry/api itself is a dependency of prom-client (its exemplars), a no-op
// while no SDK registers with it, so it is allowed here, and only it. Its own file, so that no tracing test in the same process has loaded them first.
import t from 'tap'
import { createRequire } from 'node:module'
import { startGateway, startUpstream } from './helpers.js'

t.test('no endpoint: no OpenTelemetry SDK, exporter or instrumentation is loaded, and none is after a request', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  t.equal((await fetch(`${gateway.origin}/api/x`)).status, 200)
  await gateway.app.close()
  // @fastify/otel and the OpenTelemetry SDK are CommonJS: whatever loaded them, they sit in the require cache.
  const loaded = Object.keys(createRequire(import.meta.url).cache).filter((path) => /[\\/]@(?:opentelemetry|fastify[\\/]otel)[\\/]/.test(path))
  const api = /[\\/]@opentelemetry[\\/]api[\\/]/
  t.same(loaded.filter((path) => !api.test(path)), [])
  t.equal(upstream.seen[0]?.headers.traceparent, undefined)
})
