// Tracing with OpenTelemetry (issue #16 item 3), over real HTTP on loopback: a recording upstream, a real OTLP/HTTP
// receiver that decodes what the gateway's exporter sends, and the gateway with tracing on or off. The exporter is
// flushed by closing the app before anything is asserted.
import { createServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import t from 'tap'
import { propagation } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { MemorySessionStore } from '@authgate/fastify'
import { addUser } from '@authgate/fastify/admin'
import { ConfigError, parseConfig } from '../src/config.js'
import { startGateway, startUpstream } from './helpers.js'
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js'
import type { SessionStore } from '@authgate/fastify'
import { SESSION_STORE } from '../../../packages/auth/src/http/augmentation.js'

const SERVER = 2
const CLIENT = 3
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/

function problems (run: () => unknown): readonly string[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  throw new Error('expected a ConfigError')
}

/** The chain of parents from `span` up to its root, `span` included. */
function ancestry (span: ReceivedSpan, all: readonly ReceivedSpan[]): ReceivedSpan[] {
  const chain = [span]
  let current: ReceivedSpan | undefined = span
  // Bounded: a cycle or a missing parent ends it.
  for (let hop = 0; hop < 32 && current?.parentSpanId !== undefined; hop++) {
    current = all.find((candidate) => candidate.spanId === current?.parentSpanId)
    if (current !== undefined) chain.push(current)
  }
  return chain
}

t.test('a Bearer request: one server span, an authentication and an upstream child in one trace, traceparent sent upstream, no secret exported', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }],
    tracing: { otlpEndpoint: receiver.url, serviceName: 'gateway-under-test' }
  })
  const token = gateway.token('u1', ['user'])
  const response = await fetch(`${gateway.origin}/api/things?apikey=QUERY-VALUE-41&BARE-QUERY-22`, {
    headers: { authorization: `Bearer ${token}`, cookie: 'theme=COOKIE-VALUE-17', traceparent: '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01', tracestate: 'vendor=CLIENT-STATE' }
  })
  t.equal(response.status, 200)
  await response.arrayBuffer()
  await gateway.app.close()

  const spans = receiver.spans()
  const server = spans.find((span) => span.kind === SERVER)
  if (server === undefined) throw new Error(`no server span among ${JSON.stringify(spans.map((span) => span.name))}`)
  t.equal(server.name, 'GET /api/*', 'named by its route, never the raw path')
  t.equal(server.parentSpanId, undefined, 'the trace starts at the gateway (the client\'s traceparent is not taken)')
  t.not(server.traceId, '0123456789abcdef0123456789abcdef')
  t.equal(server.serviceName, 'gateway-under-test')
  t.equal(server.attributes['url.path'], '/api/things', 'the path without its query')
  t.ok(spans.every((span) => span.traceId === server.traceId), 'every span in one trace')

  const auth = spans.find((span) => span.name === 'authenticate')
  t.ok(auth !== undefined && ancestry(auth, spans).includes(server), 'an authentication span under the server span')
  const hop = spans.find((span) => span.kind === CLIENT)
  if (hop === undefined) throw new Error('no client span for the upstream hop')
  t.equal(hop.name, 'GET upstream')
  t.equal(hop.attributes['http.response.status_code'], 200)
  t.equal(hop.attributes['authgate.route'], '/api')
  t.ok(ancestry(hop, spans).includes(server), 'the upstream hop under the server span')

  const sent = upstream.seen[0]?.headers.traceparent
  const match = typeof sent === 'string' ? TRACEPARENT.exec(sent) : null
  t.ok(match !== null, `the upstream got a traceparent (${String(sent)})`)
  t.equal(match?.[1], server.traceId, 'its trace id is the server span\'s')
  t.equal(match?.[2], hop.spanId, 'its parent is the upstream hop\'s span')
  t.equal(upstream.seen[0]?.headers.tracestate, undefined, 'the client\'s tracestate is not forwarded into the gateway\'s trace')

  const payload = receiver.bodies.join('\n')
  for (const secret of [token, 'COOKIE-VALUE-17', 'QUERY-VALUE-41', 'BARE-QUERY-22']) t.notOk(payload.includes(secret), `${secret.slice(0, 20)} is nowhere in what was exported`)
  t.ok(receiver.requests.every((request) => request.url === '/v1/traces' && request.headers['content-type'] === 'application/json'))
})

t.test('a login shows its store calls; the password, tokens and cookies are not exported, not even from a broken JSON body', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const upstream = await startUpstream(t)
  const store = new MemorySessionStore()
  await addUser(store, { email: 'ada@example.com', password: 'PASSWORD-correct-horse-93' })
  const gateway = await startGateway(t, {
    routes: [{ prefix: '/api', upstream: upstream.url }],
    tracing: { otlpEndpoint: `${receiver.url}/v1/traces` }
  }, { store })
  const login = await fetch(`${gateway.origin}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com', password: 'PASSWORD-correct-horse-93' })
  })
  t.equal(login.status, 200)
  const { accessToken } = await login.json() as { accessToken: string }
  const cookies = login.headers.getSetCookie().map((line) => line.slice(line.indexOf('=') + 1, line.indexOf(';')))
  t.ok(cookies.length > 0 && cookies.every((value) => value.length > 8), 'a refresh cookie was set')
  // Node's JSON.parse quotes the text it failed on (Fastify's parser error does not, today): the error must not carry
  // it into a span. The status scrubbing itself is shown to matter by the test after this one.
  const broken = await fetch(`${gateway.origin}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // The bad token is the secret itself, so Node's message quotes it (`Unexpected token 'P', ..."password":PWD-58}"...`).
    body: '{"email":"ada@example.com","password":PWD-58}'
  })
  t.equal(broken.status, 400)
  await broken.arrayBuffer()
  await gateway.app.close()

  const spans = receiver.spans()
  const server = spans.find((span) => span.kind === SERVER && span.name === 'POST /auth/login')
  if (server === undefined) throw new Error(`no login span among ${JSON.stringify(spans.map((span) => span.name))}`)
  const storeCalls = spans.filter((span) => span.name.startsWith('store.') && span.traceId === server.traceId)
  t.ok(storeCalls.some((span) => span.name === 'store.findUserByEmail'), `the user lookup is a span (${storeCalls.map((span) => span.name).join(', ')})`)
  t.ok(storeCalls.every((span) => ancestry(span, spans).includes(server)), 'under the login\'s server span')
  t.equal(spans.find((span) => span.name === 'store.init'), undefined, 'no span for store work outside a request')

  const payload = receiver.bodies.join('\n')
  for (const secret of ['PASSWORD-correct-horse-93', 'PWD-58', 'ada@example.com', accessToken, ...cookies]) {
    t.notOk(payload.includes(secret), `${secret.slice(0, 20)} is nowhere in what was exported`)
  }
})

t.test('an error whose message quotes the input (a store failing on the email): only the code reaches the span status', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const store = new MemorySessionStore()
  store.findUserByEmail = async (email: string) => { throw new Error(`no user index for ${email}`) }
  const gateway = await startGateway(t, { routes: [], tracing: { otlpEndpoint: receiver.url } }, { store })
  const login = await fetch(`${gateway.origin}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'LEAKED-EMAIL-77@example.com', password: 'PASSWORD-horse-94' })
  })
  t.ok(login.status >= 500, `the login failed (${login.status})`)
  await login.arrayBuffer()
  await gateway.app.close()
  const server = receiver.spans().find((span) => span.kind === SERVER && span.name === 'POST /auth/login')
  t.equal(server?.statusCode, 2, 'the request span is an error')
  // Lower case: the plugin normalises the email before the store sees it.
  const payload = receiver.bodies.join('\n').toLowerCase()
  for (const secret of ['leaked-email-77', 'password-horse-94']) t.notOk(payload.includes(secret), `${secret} is nowhere in what was exported`)
})

t.test('a collector that accepts and never answers: requests are served, app.close() ends within its bound', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer(() => { /* never answers */ })
  silent.on('connection', (socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }],
    tracing: { otlpEndpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}` }
  })
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${gateway.origin}/api/${i}`)
    t.equal(response.status, 200)
    await response.arrayBuffer()
  }
  const started = performance.now()
  const closed = await Promise.race([
    gateway.app.close().then(() => true),
    new Promise<false>((resolve) => setTimeout(() => { resolve(false) }, 8_000).unref())
  ])
  t.ok(closed, `app.close() ended (${Math.round(performance.now() - started)} ms)`)
  t.ok(sockets.size > 0, 'the exporter did reach the collector')
})

t.test('a store the gateway builds itself from the file ({ memory: true }): traced, used by the plugin, closed once after it', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const close: (this: MemorySessionStore) => Promise<void> = Reflect.get(MemorySessionStore.prototype, 'close')
  let closes = 0
  MemorySessionStore.prototype.close = async function countedClose (this: MemorySessionStore) {
    closes++
    await close.call(this)
  }
  t.teardown(() => { MemorySessionStore.prototype.close = close })
  const gateway = await startGateway(t, { routes: [], store: { memory: true }, tracing: { otlpEndpoint: receiver.url } })
  t.ok((gateway.app.authgate as unknown as Record<typeof SESSION_STORE, SessionStore>)[SESSION_STORE] instanceof MemorySessionStore, 'the plugin got the store the file names')
  await addUser((gateway.app.authgate as unknown as Record<typeof SESSION_STORE, SessionStore>)[SESSION_STORE], { email: 'grace@example.com', password: 'PASSWORD-built-store-12' })
  const login = await fetch(`${gateway.origin}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'grace@example.com', password: 'PASSWORD-built-store-12' })
  })
  t.equal(login.status, 200)
  await login.arrayBuffer()
  t.equal(closes, 0, 'not closed while the app runs')
  await gateway.app.close()
  t.equal(closes, 1, 'closed once, by the gateway that built it')
  t.ok(receiver.spans().some((span) => span.name === 'store.findUserByEmail'), 'its calls are traced')
})

t.test('a client\'s traceparent neither picks the trace id nor forces sampling, even with a global propagator registered', async (t) => {
  // What an operator's preloaded OpenTelemetry does: @fastify/otel then extracts whatever the request headers hold.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  t.teardown(() => { propagation.disable() })
  const clients = '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01'
  for (const sampleRatio of [0, 1]) {
    const receiver = await startOtlpReceiver(t)
    const upstream = await startUpstream(t)
    const gateway = await startGateway(t, {
      routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }],
      tracing: { otlpEndpoint: receiver.url, sampleRatio }
    })
    const response = await fetch(`${gateway.origin}/api/x`, { headers: { traceparent: clients, tracestate: 'vendor=CLIENT-STATE', baggage: 'user=CLIENT-BAGGAGE' } })
    t.equal(response.status, 200)
    await response.arrayBuffer()
    await gateway.app.close()
    const spans = receiver.spans()
    t.equal(upstream.seen[0]?.headers.tracestate, undefined, 'no client tracestate forwarded')
    t.equal(upstream.seen[0]?.headers.baggage, undefined, 'no client baggage forwarded')
    if (sampleRatio === 0) {
      t.same(spans, [], 'ratio 0: nothing exported, whatever the client\'s sampled flag says')
      const sent = upstream.seen[0]?.headers.traceparent
      t.notOk(typeof sent === 'string' && sent.includes('0123456789abcdef0123456789abcdef'), `nor the client's trace forwarded (${String(sent)})`)
    } else {
      t.ok(spans.length > 0, 'ratio 1: spans exported')
      t.ok(spans.every((span) => span.traceId !== '0123456789abcdef0123456789abcdef'), 'under a trace id of the gateway\'s own')
      t.equal(spans.find((span) => span.kind === SERVER)?.parentSpanId, undefined, 'the server span is a root')
    }
  }
})

t.test('an upstream that refuses the connection: the hop\'s span ends as an error, the request\'s carries the 502', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const gateway = await startGateway(t, {
    routes: [{ prefix: '/down', upstream: 'http://127.0.0.1:1', auth: 'none' }],
    tracing: { otlpEndpoint: receiver.url }
  })
  const response = await fetch(`${gateway.origin}/down/x`)
  t.equal(response.status, 502)
  await response.arrayBuffer()
  await gateway.app.close()
  const spans = receiver.spans()
  const hop = spans.find((span) => span.kind === CLIENT)
  t.equal(hop?.statusCode, 2, 'error status')
  t.equal(hop?.attributes['http.response.status_code'], undefined, 'no upstream status to report')
  const server = spans.find((span) => span.kind === SERVER)
  t.equal(server?.attributes['http.response.status_code'], 502)
  t.equal(server?.statusCode, 2)
})

t.test('tracing off: nothing is sent, no traceparent is added, a client\'s passes as before', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  t.equal((await fetch(`${gateway.origin}/api/a`)).status, 200)
  const clients = '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01'
  t.equal((await fetch(`${gateway.origin}/api/b`, { headers: { traceparent: clients } })).status, 200)
  await gateway.app.close()
  t.equal(upstream.seen[0]?.headers.traceparent, undefined)
  t.equal(upstream.seen[1]?.headers.traceparent, clients)
  t.same(receiver.requests, [])
})

t.test('configuration: off by default, from the file or the standard variables, only http(s) endpoints', async (t) => {
  const routes = [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }]
  const tokens = { keysDir: '/nonexistent' }
  const parse = (extra: Record<string, unknown>, env: Record<string, string> = {}) => parseConfig({ routes, tokens, ...extra }, { env })
  t.equal(parse({}).tracing, undefined, 'off without an endpoint')
  t.equal(parse({ tracing: { sampleRatio: 0.5 } }).tracing, undefined, 'a ratio alone turns nothing on')
  t.equal(parse({}, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing, undefined, 'an empty variable is unset')
  t.same(parse({ tracing: { otlpEndpoint: 'http://collector:4318' } }).tracing, { tracesUrl: 'http://collector:4318/v1/traces', serviceName: 'authgate', sampleRatio: 1 })
  t.equal(parse({ tracing: { otlpEndpoint: 'https://collector/otlp/' } }).tracing?.tracesUrl, 'https://collector/otlp/v1/traces')
  t.equal(parse({ tracing: { otlpEndpoint: 'http://collector:4318/v1/traces' } }).tracing?.tracesUrl, 'http://collector:4318/v1/traces')
  t.equal(parse({ tracing: { otlpEndpoint: 'http://collector:4318/v1/traces/' } }).tracing?.tracesUrl, 'http://collector:4318/v1/traces', 'a trailing slash does not double the path')
  t.same(parse({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318', OTEL_SERVICE_NAME: 'edge' }).tracing, { tracesUrl: 'http://env:4318/v1/traces', serviceName: 'edge', sampleRatio: 1 })
  t.equal(parse({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://env:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' }).tracing?.tracesUrl, 'http://env:4318/custom', 'the traces variable is taken as it is, before the general one')
  t.equal(parse({ tracing: { otlpEndpoint: 'http://file:4318' } }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' }).tracing?.tracesUrl, 'http://file:4318/v1/traces', 'the file wins')
  t.equal(parse({}, { AUTHGATE_TRACING_OTLP_ENDPOINT: 'http://override:4318', AUTHGATE_TRACING_SAMPLE_RATIO: '0.25' }).tracing?.sampleRatio, 0.25)
  // Decimals are read only where the schema asks for a number, and only as plain decimal text.
  const endpoint = { AUTHGATE_TRACING_OTLP_ENDPOINT: 'http://override:4318' }
  for (const ratio of ['abc', '1e3', '.5', '0.5.1']) {
    t.same(problems(() => parse({}, { ...endpoint, AUTHGATE_TRACING_SAMPLE_RATIO: ratio })), ['AUTHGATE_TRACING_SAMPLE_RATIO: must be a number (tracing.sampleRatio)'], `ratio ${ratio} refused`)
  }
  t.same(problems(() => parse({}, { AUTHGATE_SERVER_PORT: '8080.5' })), ['AUTHGATE_SERVER_PORT: must be a whole number (server.port)'], 'a decimal port refused')

  t.same(problems(() => parse({ tracing: { otlpEndpoint: 'grpc://collector:4317' } })), ['tracing.otlpEndpoint: must be an http:// or https:// URL'])
  t.same(problems(() => parse({ tracing: { otlpEndpoint: 'http://' } })), ['tracing.otlpEndpoint: must be an http:// or https:// URL'])
  t.same(problems(() => parse({ tracing: { otlpEndpoint: 'http://collector:4318/?token=x' } })), ['tracing.otlpEndpoint: must not have a query or fragment'])
  t.same(problems(() => parse({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })), ['OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL'])
  t.same(problems(() => parse({}, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'file:///tmp/spans' })), ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: must be an http:// or https:// URL'])
  t.same(problems(() => parse({ tracing: { otlpEndpoint: 'http://c', sampleRatio: 2, exporter: 'grpc' } })).slice().sort(), ['tracing.exporter: unknown key', 'tracing.sampleRatio: must be at most 1'])
})
