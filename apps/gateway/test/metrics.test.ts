// Issue #16 items 1 and 2 in one process: the gateway's metrics on prom-client (process metrics, build info,
// upstream errors by kind, bounded labels), the plugin's auth outcomes in the same scrape, the `server.ops`
// listener, and the worker's fallback when the cluster primary does not answer. Workers: metrics-workers.test.ts.
import t from 'tap'
import { EventEmitter } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import type { Cluster } from 'node:cluster'
import { AggregatorRegistry, Registry, Counter, Gauge, Histogram as PromHistogram } from 'prom-client'
import { generateKey } from '@authgate/fastify/tokens'
import { parseConfig, ConfigError } from '../src/config.js'
import { startServer } from '../src/server.js'
import { opsListenerOf } from '../src/ops-listener.js'
import { BUCKETS, GatewayMetrics } from '../src/metrics.js'
import { createMetricsRegistry } from '../src/metrics-registry.js'
import { askPrimary, joinClusterMetrics, MetricsUnavailableError, serveClusterMetrics } from '../src/metrics-cluster.js'
import { startGateway, startUpstream } from './helpers.js'

const PASSWORD = 'a long enough password'

/** The value of the one sample `line` starts with (`name{labels}`), or NaN. */
function sample (text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1))
}

async function scrape (origin: string): Promise<string> {
  const response = await fetch(`${origin}/metrics`)
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  return response.text()
}

t.test('auth outcomes: logins ok and refused, refresh, reuse detection, revocations, in the gateway\'s scrape', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    cookie: { secure: false },
    auth: { registration: true },
    tokens: { reuseGrace: 0, revocationDelay: '200ms' },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }]
  })
  const post = (path: string, body?: unknown, cookie?: string): Promise<Response> => fetch(`${gateway.origin}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(cookie === undefined ? {} : { cookie }) }, body: body === undefined ? undefined : JSON.stringify(body)
  })
  const cookieOf = (response: Response): string => {
    const line = response.headers.getSetCookie().find((value) => value.startsWith('authgate_rt=')) ?? ''
    return line.slice(0, line.indexOf(';'))
  }
  t.equal((await post('/auth/register', { email: 'ann@example.com', password: PASSWORD })).status, 201)
  const before = await scrape(gateway.origin)
  t.equal(sample(before, 'authgate_logins_total{result="ok"}'), 0, 'every result starts at 0')
  t.equal(sample(before, 'authgate_refresh_reuse_total{class="theft"}'), 0)

  const login = await post('/auth/login', { email: 'ann@example.com', password: PASSWORD })
  t.equal(login.status, 200)
  t.equal((await post('/auth/login', { email: 'ann@example.com', password: 'not the password at all' })).status, 401)
  t.equal((await post('/auth/login', { email: 'nobody@example.com', password: PASSWORD })).status, 401)
  t.equal((await post('/auth/login', { email: 'not an email' })).status, 400)
  const first = cookieOf(login)
  const refreshed = await post('/auth/refresh', undefined, first)
  t.equal(refreshed.status, 200)
  const reused = await post('/auth/refresh', undefined, first)
  t.equal(reused.status, 401, 'the retired token presented again')
  t.equal((await post('/auth/refresh')).status, 401, 'no cookie')
  t.equal((await fetch(`${gateway.origin}/auth/login`)).status, 405, 'a GET is no login attempt')

  const text = await scrape(gateway.origin)
  t.equal(sample(text, 'authgate_logins_total{result="ok"}'), 1)
  t.equal(sample(text, 'authgate_logins_total{result="invalid_credentials"}'), 2, 'unknown email and wrong password alike')
  t.equal(sample(text, 'authgate_logins_total{result="bad_request"}'), 1)
  t.equal(sample(text, 'authgate_refresh_total{result="ok"}'), 1)
  t.equal(sample(text, 'authgate_refresh_total{result="reused"}'), 1)
  t.equal(sample(text, 'authgate_refresh_total{result="invalid"}'), 1)
  const reuse = ['race', 'stale', 'theft'].map((kind) => sample(text, `authgate_refresh_reuse_total{class="${kind}"}`))
  t.equal(reuse.reduce((a, b) => a + b, 0), 1, `one reuse, classified (${reuse.join('/')})`)
  t.ok(sample(text, 'authgate_revocations_total') >= 1, 'the reused session\'s revocation was applied')
  t.ok(sample(text, 'authgate_revocation_list_size') >= 1)
  const lag = sample(text, 'authgate_revocation_lag_seconds')
  t.ok(lag >= 0 && lag < 60, `revocation lag ${lag} s`)
  t.equal(sample(text, 'authgate_signing_keys'), 1)
  t.notMatch(text, /ann@example\.com|authgate_rt=/, 'no email or token in any label')
})

t.test('rate-limit refusals are counted by endpoint, and as a login result', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    rateLimit: { login: { max: 1, timeWindow: '1m' } },
    routes: [{ prefix: '/api', upstream: upstream.url }]
  })
  for (let index = 0; index < 3; index++) {
    await fetch(`${gateway.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'x@example.com', password: PASSWORD }) })
  }
  const text = await scrape(gateway.origin)
  t.equal(sample(text, 'authgate_logins_total{result="rate_limited"}'), 2)
  t.equal(sample(text, 'authgate_rate_limited_total{endpoint="/login"}'), 2)
})

t.test('process metrics, build info, upstream errors by kind; the label set stays bounded', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'required' },
      { prefix: '/down', upstream: 'http://127.0.0.1:1', auth: 'none' }
    ]
  })
  // 150 distinct raw paths, routed, refused and unrouted, with ids and query strings.
  for (let index = 0; index < 50; index++) {
    await fetch(`${gateway.origin}/public/users/${index}/x?id=${index}`)
    await fetch(`${gateway.origin}/api/users/u${index}`)
    await fetch(`${gateway.origin}/nowhere-${index}`)
  }
  t.equal((await fetch(`${gateway.origin}/down/x`)).status, 502)
  const text = await scrape(gateway.origin)
  t.equal(sample(text, 'authgate_requests_total{route="/public",status="200"}'), 50)
  t.equal(sample(text, 'authgate_requests_total{route="/api",status="401"}'), 50)
  t.equal(sample(text, 'authgate_requests_total{route="(none)",status="404"}'), 50, text.split('\n').filter((line) => line.startsWith('authgate_requests_total')).join('\n'))
  t.equal(sample(text, 'authgate_upstream_errors_total{route="/down",kind="refused"}'), 1)
  const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]))
  t.same([...routes].sort(), ['(none)', '/api', '/down', '/public'], 'route labels are the configured prefixes and fixed names only')
  const series = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))
  t.ok(series.length < 400, `${series.length} series after 150 distinct paths`)
  t.notMatch(text, /users\/|nowhere-|u\d+"/, 'no raw path or id in a label')

  for (const name of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_active_handles_total']) {
    t.match(text, new RegExp(`^${name}(\\{[^}]*\\})? `, 'm'), name)
  }
  t.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m, 'GC durations')
  t.equal(sample(text, `authgate_build_info{version="0.1.0",node="${process.version}"}`), 1)
  t.match(text, /^authgate_upstream_response_seconds_bucket\{le="\+Inf",route="\/public"\} 50$/m)
})

t.test('server.ops: /healthz, /readyz and /metrics on their own listener; the public one answers 404 for them', async (t) => {
  const upstream = await startUpstream(t)
  const key = generateKey('EdDSA')
  const config = parseConfig({
    server: { port: 0, ops: { port: 0 } },
    tokens: { keys: [key] },
    routes: [{ prefix: '/', upstream: upstream.url, auth: 'none' }]
  }, { file: 'test-config' })
  const running = await startServer(config, { logger: false })
  t.teardown(() => running.app.close())
  t.ok(running.opsUrl !== undefined && running.opsUrl !== running.url, `ops on ${String(running.opsUrl)}`)
  const ops = running.opsUrl ?? ''
  t.equal((await fetch(`${ops}/healthz`)).status, 200)
  t.same(await (await fetch(`${ops}/readyz`)).json(), { status: 'ready' })
  await fetch(`${running.url}/some/page`)
  const text = await (await fetch(`${ops}/metrics`)).text()
  t.equal(sample(text, 'authgate_requests_total{route="/",status="200"}'), 1, 'the public listener\'s requests are counted on the ops one')
  t.equal((await fetch(`${ops}/some/page`)).status, 404, 'the ops listener proxies nothing')
  t.equal(upstream.seen.length, 1)
  // Not even the catch-all route gets them: 404 from the gateway, whatever the method.
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    for (const method of ['GET', 'HEAD', 'POST']) {
      const answer = await fetch(`${running.url}${path}`, { method })
      t.equal(answer.status, 404, `${method} ${path}: 404 on the public listener`)
      t.notMatch(await answer.text(), /status":"ok|status":"ready|authgate_requests_total/)
    }
  }
  t.equal(upstream.seen.length, 1, 'none reached the upstream')
})

t.test('server.ops: /readyz answers 503 once the gateway is shutting down, while requests are still in flight', async (t) => {
  const upstream = await startUpstream(t)
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  upstream.handle((_request, response) => { void held.then(() => { response.end('late') }) })
  const config = parseConfig({
    server: { port: 0, ops: { port: 0 } },
    tokens: { keys: [generateKey('EdDSA')] },
    routes: [{ prefix: '/', upstream: upstream.url, auth: 'none' }]
  }, { file: 'test-config' })
  const running = await startServer(config, { logger: false })
  t.teardown(async () => { release(); await running.app.close() })
  const ops = running.opsUrl ?? ''
  t.equal((await fetch(`${ops}/readyz`)).status, 200, 'ready before')
  const slow = fetch(`${running.url}/slow`)
  for (const until = Date.now() + 10_000; upstream.seen.length === 0 && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(upstream.seen.length, 1, 'the slow request reached the upstream')
  const closed = running.app.close()
  const answer = await fetch(`${ops}/readyz`)
  t.equal(answer.status, 503, 'not ready while shutting down')
  t.same(await answer.json(), { status: 'unavailable', reason: 'shutting down' })
  t.equal((await fetch(`${ops}/healthz`)).status, 200, 'still alive')
  release()
  t.equal((await slow).status, 200, 'the request in flight finishes')
  await closed
})

t.test('server.ops: without a catch-all route the public listener answers 404', async (t) => {
  const upstream = await startUpstream(t)
  const config = parseConfig({
    server: { port: 0, ops: { port: 0 } },
    tokens: { keys: [generateKey('EdDSA')] },
    routes: [{ prefix: '/api', upstream: upstream.url }]
  }, { file: 'test-config' })
  const running = await startServer(config, { logger: false })
  t.teardown(() => running.app.close())
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    t.equal((await fetch(`${running.url}${path}`)).status, 404, `${path}: 404 on the public listener`)
    t.equal((await fetch(`${running.opsUrl ?? ''}${path}`)).status, 200, `${path}: 200 on the ops listener`)
  }
  // Spellings of the operational paths reach neither the ops handlers nor an upstream on the public listener.
  for (const target of ['/metrics/', '//metrics', '/Metrics', '/%6Detrics', '/metrics?x=1', '/metrics;a', '/./metrics', '/api/../metrics', '/healthz%2f']) {
    const answer = await fetch(`${running.url}${target}`)
    const body = await answer.text()
    t.not(answer.status, 200, `${target}: not served publicly (${answer.status})`)
    t.notMatch(body, /authgate_|"status":"ok"|"status":"ready"/, `${target}: no operational content`)
  }
  t.equal(upstream.seen.length, 0, 'none reached the upstream')
  // The ops listener serves the three paths and nothing else, whatever the method or spelling.
  t.equal((await fetch(`${running.opsUrl ?? ''}/metrics`, { method: 'POST' })).status, 404)
  t.equal((await fetch(`${running.opsUrl ?? ''}/api/x`)).status, 404)
  t.equal((await fetch(`${running.opsUrl ?? ''}/auth/login`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status, 404, 'no auth routes there')
  await running.app.close()
  await t.rejects(fetch(`${running.opsUrl ?? ''}/healthz`), 'the ops listener closes with the app')
})

t.test('server.ops on a port in use: the start fails with the reason and releases the public port', async (t) => {
  const upstream = await startUpstream(t)
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => { resolve() })))
  const opsPort = (busy.address() as AddressInfo).port
  const config = parseConfig({
    server: { port: 0, ops: { port: opsPort } },
    tokens: { keys: [generateKey('EdDSA')] },
    routes: [{ prefix: '/api', upstream: upstream.url }]
  }, { file: 'test-config' })
  await t.rejects(startServer(config, { logger: false }), { code: 'EADDRINUSE' })
})

t.test('bad server.ops values are refused with the path and the reason', async (t) => {
  const base = { tokens: { keys: [generateKey('EdDSA')] }, routes: [] }
  const issues = (server: unknown): readonly string[] => {
    try {
      parseConfig({ ...base, server }, { file: 'test-config' })
    } catch (error) {
      if (error instanceof ConfigError) return error.issues
      throw error
    }
    return []
  }
  t.same(issues({ ops: { port: 70000 } }), ['server.ops.port: must be at most 65535'])
  t.same(issues({ ops: { port: -1 } }), ['server.ops.port: must be at least 0'])
  t.same(issues({ ops: { port: '9090x' } }), ['server.ops.port: must be a whole number'])
  t.same(issues({ ops: true }), ['server.ops: must be an object'])
  t.same(issues({ ops: { host: 'http://10.0.0.1/' } }), ['server.ops.host: must be an IP address or a host name (127.0.0.1, ::1, localhost)'])
  t.same(issues({ ops: { host: '' } }), ['server.ops.host: must be an IP address or a host name (127.0.0.1, ::1, localhost)'])
  t.match(issues({ ops: { prot: 9090 } }), [/^server\.ops\.prot: unknown key/])
  t.same(issues({ port: 9100, ops: { port: 9100 } }), ['server.ops.port: must differ from server.port (9100)'])
  t.same(issues({ ops: {} }), [], 'defaults: 127.0.0.1:9090')
  t.same(parseConfig({ ...base, server: { ops: {} } }, { file: 'x' }).server.ops, { host: '127.0.0.1', port: 9090 })
  t.same(parseConfig({ ...base, server: { ops: { host: '::1', port: 9191 } } }, { file: 'x' }).server.ops, { host: '::1', port: 9191 })
  t.equal(parseConfig(base, { file: 'x' }).server.ops, undefined, 'off unless set')
})

t.test('a worker refuses the scrape (503), and says so, when the primary does not answer in time', async (t) => {
  const registry = new Registry()
  new Counter({ name: 'local_total', help: 'h', registers: [registry] }).inc(3)
  const requests: unknown[] = []
  const silent = Object.assign(new EventEmitter(), { send: (message: unknown) => { requests.push(message); return true } })
  const warnings: string[] = []
  const render = joinClusterMetrics(registry, { warn: (_object, message) => { warnings.push(message) } }, silent, 100)
  const started = Date.now()
  // Two scrapes at once share one request to the primary.
  const both = await Promise.allSettled([render(), render()])
  t.equal(requests.length, 1, 'concurrent scrapes coalesce')
  for (const outcome of both) t.ok(outcome.status === 'rejected' && outcome.reason instanceof MetricsUnavailableError, 'refused')
  t.ok(Date.now() - started < 2000, 'bounded wait')
  t.match(warnings, [/scrape refused \(503\)/])
  t.equal(silent.listenerCount('message'), 1, 'only the collection answerer stays (no request listener left behind)')
  const again = Date.now()
  await t.rejects(render(), /did not answer recently/, 'never this worker\'s counts alone (they would read as counter resets)')
  t.ok(Date.now() - again < 50, 'a silent primary is not asked again at every scrape')
  t.equal(requests.length, 1)

  // The worker answers the primary's collections with its registry as JSON.
  silent.emit('message', { type: 'authgate:metrics-collect', id: 7 })
  for (let turn = 0; turn < 20 && requests.length < 2; turn++) await new Promise((resolve) => setImmediate(resolve))
  t.match(requests[1], { type: 'authgate:metrics-report', id: 7, metrics: [{ name: 'local_total', values: [{ value: 3 }] }] })

  // A primary that answers: its text, matched by request id (an answer to another request is ignored).
  const primary = new EventEmitter()
  const channel = Object.assign(primary, {
    send: (message: { id: number }) => {
      setImmediate(() => {
        primary.emit('message', { type: 'authgate:metrics-response', id: message.id + 1000, text: 'wrong' })
        primary.emit('message', { type: 'authgate:metrics-response', id: message.id, text: 'aggregate 1\n' })
      })
      return true
    }
  })
  t.equal(await askPrimary(channel, 1000), 'aggregate 1\n')
  const failing = Object.assign(new EventEmitter(), {
    send (this: EventEmitter, message: { id: number }) { setImmediate(() => this.emit('message', { type: 'authgate:metrics-response', id: message.id, error: 'Operation timed out.' })); return true }
  })
  await t.rejects(askPrimary(failing, 1000), /could not aggregate: Operation timed out/)
})

t.test('/metrics answers 503 when the renderer fails', async (t) => {
  const upstream = await startUpstream(t)
  const registry = new Registry()
  const gateway = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] },
    { metrics: { registry, render: async () => { throw new MetricsUnavailableError('no aggregate') } } })
  const answer = await fetch(`${gateway.origin}/metrics`)
  t.equal(answer.status, 503)
  t.notMatch(await answer.text(), /authgate_/)
})

/** A cluster worker as the primary sees it: what it was sent. */
function fakeWorker (id: number): { id: number, sent: Array<{ type: string, id: number, text?: string, error?: string }>, isConnected: () => boolean, send: (message: never) => boolean } {
  const sent: Array<{ type: string, id: number, text?: string, error?: string }> = []
  return { id, sent, isConnected: () => true, send: (message: never) => { sent.push(message); return true } }
}

async function registryJson (count: number): Promise<unknown> {
  const registry = new Registry()
  new Counter({ name: 'work_total', help: 'h', registers: [registry] }).inc(count)
  new Gauge({ name: 'authgate_workers_reporting', help: 'h', registers: [registry] }).set(1)
  return registry.getMetricsAsJSON()
}

t.test('the primary: asks listening workers only, one answer per worker, late and foreign answers ignored, a slow worker leaves the others\' counts', async (t) => {
  const cluster = new EventEmitter()
  const served = serveClusterMetrics(cluster as unknown as Pick<Cluster, 'on' | 'off'>, 150)
  t.teardown(served.stop)
  const [one, two, starting] = [fakeWorker(1), fakeWorker(2), fakeWorker(3)]
  cluster.emit('listening', one)
  cluster.emit('listening', two)
  const settle = async (): Promise<void> => { for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve)) }

  cluster.emit('message', one, { type: 'authgate:metrics-request', id: 1 })
  cluster.emit('message', two, { type: 'authgate:metrics-request', id: 2 })
  const collects = one.sent.filter((message) => message.type === 'authgate:metrics-collect')
  t.equal(collects.length, 1, 'concurrent requests share one collection')
  t.equal(two.sent.length, 1)
  t.equal(starting.sent.length, 0, 'a worker that is not listening is not asked')
  t.equal(served.pending(), 1)
  const id = collects[0]?.id ?? -1
  const json = await registryJson(5)
  // Foreign (a worker not asked), unknown id, malformed: ignored without throwing.
  cluster.emit('message', starting, { type: 'authgate:metrics-report', id, metrics: await registryJson(100) })
  cluster.emit('message', one, { type: 'authgate:metrics-report', id: id + 999, metrics: json })
  cluster.emit('message', one, { type: 'prom-client:getMetricsRes', requestId: 12345, metrics: [] })
  cluster.emit('message', one, { type: 'authgate:metrics-report', id, metrics: json })
  cluster.emit('message', one, { type: 'authgate:metrics-report', id, metrics: json })
  t.equal(served.pending(), 1, 'worker 2 is still awaited')
  // Worker 2 never answers: after the deadline, worker 1's counts alone, and the gap shows.
  for (const until = Date.now() + 5000; served.pending() > 0 && Date.now() < until;) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(served.pending(), 0, 'the entry leaves on timeout')
  await settle()
  for (const [worker, request] of [[one, 1], [two, 2]] as const) {
    const response = worker.sent.find((message) => message.type === 'authgate:metrics-response')
    t.equal(response?.id, request)
    t.equal(sample(response?.text ?? '', 'work_total'), 5, 'one answer per worker: not doubled, not the foreign one')
    t.equal(sample(response?.text ?? '', 'authgate_workers_reporting'), 1, 'the slow worker shows as missing')
  }
  t.doesNotThrow(() => { cluster.emit('message', two, { type: 'authgate:metrics-report', id, metrics: json }) }, 'a late answer is ignored')
  t.equal(served.pending(), 0)

  // Both answer: no waiting for the deadline, and the counts sum.
  one.sent.length = 0
  two.sent.length = 0
  const started = Date.now()
  cluster.emit('message', one, { type: 'authgate:metrics-request', id: 3 })
  const next = one.sent[0]?.id ?? -1
  cluster.emit('message', one, { type: 'authgate:metrics-report', id: next, metrics: await registryJson(5) })
  cluster.emit('message', two, { type: 'authgate:metrics-report', id: next, metrics: await registryJson(7) })
  await settle()
  const response = one.sent.find((message) => message.type === 'authgate:metrics-response')
  t.equal(sample(response?.text ?? '', 'work_total'), 12)
  t.equal(sample(response?.text ?? '', 'authgate_workers_reporting'), 2)
  t.ok(Date.now() - started < 140, 'answered as soon as every worker did')
  t.equal(served.pending(), 0)

  // A worker that exits is no longer asked; with none listening the request gets an error (the worker answers 503).
  cluster.emit('exit', one)
  cluster.emit('exit', two)
  cluster.emit('message', one, { type: 'authgate:metrics-request', id: 4 })
  await settle()
  t.match(one.sent.at(-1), { type: 'authgate:metrics-response', id: 4, error: /no worker answered/ })
  t.equal(served.pending(), 0)
})

t.test('the routes\' histogram renders as prom-client\'s own Histogram would, alone and after the cluster aggregate', async (t) => {
  // On a bucket bound (0.001, 2.5, 30), between, below the first and above the last (> 30 s: +Inf only).
  const observations = [0.0005, 0.001, 0.0011, 0.07, 2.5, 2.6, 30, 30.5, 45.25, 0.3]
  const ours = new Registry()
  const gateway = new GatewayMetrics()
  gateway.register(ours)
  const route = gateway.route('/api')
  const other = gateway.route('/other')
  const reference = new Registry()
  const histogram = new PromHistogram({ name: 'authgate_upstream_response_seconds', help: 'h', labelNames: ['route'] as const, buckets: [...BUCKETS], registers: [reference] })
  for (const seconds of observations) {
    route.upstreamLatency.observe(seconds)
    histogram.observe({ route: '/api' }, seconds)
  }
  other.upstreamLatency.observe(31)
  histogram.observe({ route: '/other' }, 31)
  const lines = (text: string): string[] => text.split('\n').filter((line) => line.startsWith('authgate_upstream_response_seconds'))
  const mine = lines(await ours.metrics())
  t.ok(mine.length > 30, `${mine.length} lines`)
  t.same(mine, lines(await reference.metrics()), 'the same lines as prom-client\'s Histogram')
  const aggregated = async (registry: Registry): Promise<string[]> => {
    const json = await registry.getMetricsAsJSON()
    return lines(await AggregatorRegistry.aggregate([json, json]).metrics())
  }
  const summed = await aggregated(ours)
  t.same(summed, await aggregated(reference), 'the same after AggregatorRegistry.aggregate')
  t.ok(summed.includes('authgate_upstream_response_seconds_count{route="/api"} 20'), 'summed across workers')
})

t.test('process metrics are collected once per process, however many apps are built', async (t) => {
  const first = createMetricsRegistry('1')
  const second = createMetricsRegistry('1')
  const cpu = first.getSingleMetric('process_cpu_user_seconds_total')
  t.ok(cpu !== undefined, 'each registry has them')
  t.equal(second.getSingleMetric('process_cpu_user_seconds_total'), cpu, 'the same collector, not a new monitor per app')
  t.equal(second.getSingleMetric('nodejs_eventloop_lag_seconds'), first.getSingleMetric('nodejs_eventloop_lag_seconds'))
  t.match(await second.metrics(), /^nodejs_eventloop_lag_seconds \d/m)
  t.not(first.getSingleMetric('authgate_build_info'), second.getSingleMetric('authgate_build_info'), 'the app\'s own metrics stay apart')
})

t.test('server.ops: the public listener\'s head and request bounds apply there too', async (t) => {
  const config = parseConfig({
    server: { port: 0, headersTimeout: '3s', requestTimeout: '7s', maxUrlLength: 2048, ops: { port: 0 } },
    tokens: { keys: [generateKey('EdDSA')] },
    routes: []
  }, { file: 'test-config' })
  const running = await startServer(config, { logger: false })
  t.teardown(() => running.app.close())
  const ops = opsListenerOf(running.app)?.server
  t.equal(ops?.headersTimeout, 3000)
  t.equal(ops?.requestTimeout, 7000)
  const headSize = (server: unknown): unknown => (server as { maxHeaderSize?: number } | undefined)?.maxHeaderSize
  t.equal(headSize(ops), headSize(running.app.server), 'the same head size bound as the public listener')
  t.equal(headSize(ops), 2048 + 16_384)
  // A head beyond it: 431, the connection not held.
  const answer = await fetch(`${running.opsUrl ?? ''}/healthz`, { headers: { 'x-big': 'a'.repeat(2048 + 17_000) } }).catch(() => undefined)
  t.ok(answer === undefined || answer.status === 431, `refused (${String(answer?.status)})`)
})
