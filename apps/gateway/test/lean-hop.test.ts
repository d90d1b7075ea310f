// The lean hop (issue #18 item 2): the proxy handler that skips http-proxy's per-request URL re-validation
// (proxy-handler.ts) and the undici dispatch handler that buffers small answers (upstream-exchange.ts). What they
// must keep: the upstream path and query as before, headers as undici's request() parsed them, no header invented,
// a clean 502 rather than a truncated answer when a small body fails, a client's departure cancelling the upstream.
import t from 'tap'
import { AsyncLocalStorage } from 'node:async_hooks'
import { request as httpRequest } from 'node:http'
import type { RouteOptions } from 'fastify'
import { errors } from 'undici'
import { rawGet, rawRequest, startGateway, startUpstream, waitForLoad } from './helpers.js'
import { startOtlpReceiver } from './otlp-receiver.js'
import { leanProxyHandler } from '../src/proxy-handler.js'
import { BUFFERED_BODY_LIMIT, UpstreamExchange, type UpstreamResponse } from '../src/upstream-exchange.js'

/** One sample of the Prometheus text, by its full name and labels. */
function sample (text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1))
}

async function metricsText (origin: string): Promise<string> {
  return (await fetch(`${origin}/metrics`)).text()
}

/** The dispatch-handler calls undici makes on the exchange (its older handler API, which the exchange implements). */
interface ExchangeCalls {
  onConnect: (abort: (reason?: Error) => void) => void
  onHeaders: (statusCode: number, rawHeaders: Buffer[], resume: () => void) => boolean
  onData: (chunk: Buffer) => boolean
  onComplete: () => void
  onError: (error: Error) => void
}

const SMALL_HEAD = [Buffer.from('content-type'), Buffer.from('text/plain'), Buffer.from('content-length'), Buffer.from(String(BUFFERED_BODY_LIMIT))]

t.test('the upstream path is the rewrite prefix plus the rest of the canonical path; the query goes on as sent', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/api', upstream: `${upstream.url}/base`, auth: 'none' },
      { prefix: '/v2', upstream: upstream.url, rewritePrefix: '/', auth: 'none' },
      { prefix: '/', upstream: upstream.url, auth: 'none' }
    ]
  })
  const cases: Array<[string, string]> = [
    ['/api/items?a=1&a=2&b=%20x&c', '/base/api/items?a=1&a=2&b=%20x&c'],
    ['/api', '/base/api'],
    ['/api/', '/base/api/'],
    ['/v2/x/y?q=%2F', '/x/y?q=%2F'],
    ['/v2', '/'],
    ['/v2?only=query', '/?only=query'],
    ['/other/path', '/other/path'],
    ['/caf%C3%A9', '/caf%C3%A9']
  ]
  for (const [target, expected] of cases) {
    const before = upstream.seen.length
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.equal(answer.status, 200, target)
    t.equal(upstream.seen[before]?.url, expected, `${target} → ${expected}`)
  }
})

t.test('answers pass through with their headers as undici parses them, small or large, with or without a length', async (t) => {
  const upstream = await startUpstream(t)
  const large = 'x'.repeat(BUFFERED_BODY_LIMIT + 1)
  upstream.handle((request, response) => {
    request.resume()
    const headers: Array<[string, string]> = [
      ['content-type', 'text/plain'],
      ['x-repeated', 'one'], ['x-repeated', 'two'],
      // Names that are properties of every object: still headers, never the object's own machinery (a __proto__
      // line must not break the answer; Fastify's reply does not send one on).
      ['constructor', 'c'], ['__proto__', 'p'], ['toString', 't']
    ]
    const body = request.url === '/large' ? large : 'small body'
    if (request.url === '/chunked') {
      response.writeHead(200, headers.flat())
      response.write('part one, ')
      response.end('part two')
      return
    }
    if (request.url === '/untyped') {
      response.writeHead(200, ['content-length', String(body.length)])
      response.end(body)
      return
    }
    response.writeHead(200, [...headers.flat(), 'content-length', String(body.length)])
    response.end(body)
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none' }] })
  for (const [path, body] of [['/small', 'small body'], ['/large', large], ['/chunked', 'part one, part two']] as const) {
    const answer = await rawRequest(gateway.port, rawGet(path), 3000)
    t.equal(answer.status, 200, path)
    t.match(answer.head, /\r\nx-repeated: one\r\nx-repeated: two\r\n/i, `${path}: a repeated header stays repeated`)
    t.match(answer.head, /\r\nconstructor: c\r\n/i, `${path}: constructor`)
    t.match(answer.head, /\r\ntostring: t\r\n/i, `${path}: toString`)
    const decoded = path === '/chunked' ? answer.body.replace(/\r\n[0-9a-f]+\r\n/g, '').replace(/^[0-9a-f]+\r\n/, '') : answer.body
    t.ok(decoded.startsWith(body.slice(0, 20)) && (path === '/chunked' || answer.body.length === body.length), `${path}: the body`)
  }
  const untyped = await rawRequest(gateway.port, rawGet('/untyped'))
  t.equal(untyped.status, 200)
  t.notMatch(untyped.head, /content-type/i, 'no content-type is invented for an answer that had none')
  t.equal(untyped.body, 'small body')
  const head = await rawRequest(gateway.port, ['HEAD /small HTTP/1.1', 'Host: gateway.test', 'Connection: close', '', ''].join('\r\n'))
  t.equal(head.status, 200)
  t.match(head.head, /\r\ncontent-length: 10\r\n/i, 'HEAD keeps the upstream length')
  t.equal(head.body, '')
})

t.test('a small answer whose upstream fails mid-body is a clean 502, not a truncated 200', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
    response.write('partial')
    setTimeout(() => { response.socket?.destroy() }, 30)
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none' }] })
  const answer = await fetch(`${gateway.origin}/broken`)
  t.equal(answer.status, 502)
  const body = await answer.json() as { code?: string }
  t.equal(body.code, 'GATEWAY_BAD_GATEWAY')
})

t.test('a client leaving while a small answer is still coming cancels the upstream request', async (t) => {
  const upstream = await startUpstream(t)
  let upstreamClosed: () => void = () => {}
  const closed = new Promise<void>((resolve) => { upstreamClosed = resolve })
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
    response.write('first bytes')
    response.on('close', () => { upstreamClosed() })
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none', timeout: '30s' }] })
  const client = httpRequest(`${gateway.origin}/slow`)
  client.on('error', () => {})
  client.end()
  setTimeout(() => { client.destroy() }, 100)
  // Raced against a timer far below the 30 s body timeout: only the client's departure can close it that soon.
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    closed.then(() => 'closed'),
    new Promise<string>((resolve) => { timer = setTimeout(() => { resolve('still open') }, 3000) })
  ])
  clearTimeout(timer)
  t.equal(outcome, 'closed', 'the upstream saw its connection closed once the client left')
})

t.test('a small answer whose body stalls past the route timeout is a 504, counted as a timeout', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' })
    response.write('7 bytes')
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none', timeout: '1s' }] })
  const answer = await rawRequest(gateway.port, rawGet('/stalls'), 5000)
  t.equal(answer.status, 504)
  t.match(answer.body, /GATEWAY_TIMEOUT/)
  const text = await metricsText(gateway.origin)
  t.equal(sample(text, 'authgate_upstream_errors_total{route="/",kind="timeout"}'), 1)
  t.notOk(sample(text, 'authgate_upstream_errors_total{route="/",kind="other"}') > 0, 'not counted as other')
})

t.test('hooks see the request\'s own async context for buffered and streamed answers over one pooled socket', async (t) => {
  const upstream = await startUpstream(t)
  const sockets = new Set<unknown>()
  upstream.handle((request, response) => {
    sockets.add(request.socket)
    request.resume()
    const body = request.url?.startsWith('/large') === true ? 'y'.repeat(BUFFERED_BODY_LIMIT * 2) : 'small'
    setTimeout(() => { response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) }).end(body) }, 5)
  })
  const storage = new AsyncLocalStorage<string>()
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none', maxConcurrent: 1 }] }, {
    prepare: async (app) => {
      app.addHook('onRequest', (request, _reply, done) => { storage.run(String(request.headers['x-id']), done) })
      app.addHook('onSend', async (_request, reply) => { reply.header('x-seen', storage.getStore() ?? 'none') })
    }
  })
  const ids = Array.from({ length: 12 }, (_, index) => `id-${index}`)
  const answers = await Promise.all(ids.map(async (id, index) => {
    const response = await fetch(`${gateway.origin}/${index % 2 === 0 ? 'small' : 'large'}/${id}`, { headers: { 'x-id': id } })
    await response.arrayBuffer()
    return response.headers.get('x-seen')
  }))
  t.same(answers, ids, 'each onSend saw the value its own onRequest set')
  t.equal(sockets.size, 1, 'all went over one upstream connection')
})

t.test('a buffered body handed on can be destroyed, as the forwarder does when the client aborted', async (t) => {
  let response: UpstreamResponse | undefined
  const exchange: ExchangeCalls = new UpstreamExchange('GET', (_error, answer) => { response = answer }, null)
  exchange.onConnect(() => {})
  exchange.onHeaders(200, SMALL_HEAD, () => {})
  exchange.onData(Buffer.alloc(BUFFERED_BODY_LIMIT))
  exchange.onComplete()
  if (response === undefined) throw new Error('no answer')
  // reply-from: `res.stream.destroy()` when request.raw.aborted.
  t.doesNotThrow(() => { (response?.body as unknown as { destroy: () => void }).destroy() })
})

t.test('a client leaving right as a buffered answer completes: no error, the slot is given back', async (t) => {
  const upstream = await startUpstream(t)
  let finish: () => void = () => {}
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10' })
    if (request.url === '/after') {
      response.end('1234567890')
      return
    }
    response.write('12345')
    finish = () => { response.end('67890') }
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none', maxConcurrent: 1 }] })
  // Bounded: a few spacings of the departure and the last bytes, around the same moment.
  for (const delay of [0, 0, 1, 2, 5]) {
    const client = httpRequest(`${gateway.origin}/race`)
    client.on('error', () => {})
    const started = new Promise<void>((resolve) => { upstream.server.once('request', () => { setTimeout(resolve, 20) }) })
    client.end()
    await started
    client.destroy()
    await new Promise((resolve) => setTimeout(resolve, delay))
    finish()
    t.ok(await waitForLoad(gateway.origin, '/', (load) => load.active === 0), `slot given back (delay ${delay})`)
  }
  const after = await fetch(`${gateway.origin}/after`)
  t.equal(after.status, 200, 'the route still answers')
  t.equal(await after.text(), '1234567890')
})

t.test('a buffered body larger than the limit is refused in onData, whatever undici checked', async (t) => {
  const called: { error?: Error | null } = {}
  const exchange: ExchangeCalls = new UpstreamExchange('GET', (error) => { called.error = error }, null)
  let aborted: Error | undefined
  exchange.onConnect((reason) => { aborted = reason; exchange.onError(reason ?? new Error('aborted')) })
  exchange.onHeaders(200, SMALL_HEAD, () => {})
  t.equal(exchange.onData(Buffer.alloc(BUFFERED_BODY_LIMIT)), true)
  t.equal(exchange.onData(Buffer.alloc(1)), false, 'one byte over: stop reading')
  t.ok(aborted instanceof errors.ResponseExceededMaxSizeError, 'the upstream request is aborted as too large')
  exchange.onComplete()
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(called.error instanceof errors.ResponseExceededMaxSizeError, 'the error is what reply-from is called back with')
})

t.test('304 and 204 with a content-type and a length pass through at once', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    const status = request.url === '/not-modified' ? 304 : 204
    response.writeHead(status, { 'content-type': 'text/plain', 'content-length': '100', etag: '"v1"' })
    response.end()
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none', timeout: '5s' }] })
  const notModified = await rawRequest(gateway.port, rawGet('/not-modified'), 3000)
  t.equal(notModified.status, 304)
  t.match(notModified.head, /\r\netag: "v1"/i)
  t.equal(notModified.body, '')
  const noContent = await rawRequest(gateway.port, rawGet('/no-content'), 3000)
  t.equal(noContent.status, 204)
  t.equal(noContent.body, '')
  t.notOk(sample(await metricsText(gateway.origin), 'authgate_upstream_errors_total{route="/",kind="other"}') > 0, 'no upstream error')
})

t.test('a body of exactly the limit is held until complete; one byte more streams', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    const [, name, mode] = request.url?.split('/') ?? []
    const length = name === 'limit' ? BUFFERED_BODY_LIMIT : BUFFERED_BODY_LIMIT + 1
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(length) })
    if (mode === 'whole') {
      response.end('z'.repeat(length))
      return
    }
    // All but the last byte, then the connection drops.
    response.write('z'.repeat(length - 1), () => { setTimeout(() => { response.socket?.destroy() }, 30) })
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/', upstream: upstream.url, auth: 'none' }] })
  for (const name of ['limit', 'over']) {
    const whole = await fetch(`${gateway.origin}/${name}/whole`)
    t.equal(whole.status, 200)
    t.equal((await whole.text()).length, name === 'limit' ? BUFFERED_BODY_LIMIT : BUFFERED_BODY_LIMIT + 1, `${name}: the whole body`)
  }
  const held = await rawRequest(gateway.port, rawGet('/limit/broken'), 3000)
  t.equal(held.status, 502, 'exactly the limit: held, so a clean 502')
  const streamed = await rawRequest(gateway.port, rawGet('/over/broken'), 3000)
  t.equal(streamed.status, 200, 'one byte over: streamed, its head already sent')
  t.ok(streamed.body.length < BUFFERED_BODY_LIMIT + 1, 'and cut off')
})

t.test('a buffered answer: the upstream latency is time to headers, and the upstream span is recorded', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10' })
    response.flushHeaders()
    // The body comes well after the head: a held answer's latency must not include it.
    setTimeout(() => { response.end('0123456789') }, 1500)
  })
  const gateway = await startGateway(t, {
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }],
    tracing: { otlpEndpoint: receiver.url, serviceName: 'gateway-under-test' }
  })
  const answer = await fetch(`${gateway.origin}/api/held`)
  t.equal(answer.status, 200)
  t.equal(await answer.text(), '0123456789')
  const text = await metricsText(gateway.origin)
  t.equal(sample(text, 'authgate_upstream_response_seconds_count{route="/api"}'), 1)
  const seconds = sample(text, 'authgate_upstream_response_seconds_sum{route="/api"}')
  t.ok(seconds < 1, `time to headers, not to the last byte (${seconds} s)`)
  await gateway.app.close()
  const hop = receiver.spans().find((span) => span.kind === 3)
  t.equal(hop?.name, 'GET upstream', 'a client span for the upstream hop')
  t.equal(hop?.attributes['http.response.status_code'], 200)
})

t.test('dot segments on a lean route are still refused', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: `${upstream.url}/base`, auth: 'none' }] })
  for (const target of ['/api/../secret', '/api/%2e%2e/secret', '/api/%2E%2E/secret', '/api/.%2e/secret']) {
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.equal(answer.status, 400, target)
  }
  t.equal(upstream.seen.length, 0, 'nothing reached the upstream')
})

t.test('a parametric scope prefix keeps http-proxy\'s own handler', async (t) => {
  const original = (): void => {}
  const parametric = { prefix: '/users/:id', handler: original } as unknown as RouteOptions & { prefix: string }
  leanProxyHandler('/up', () => true)(parametric)
  t.equal(parametric.handler, original, 'left to http-proxy, which substitutes the parameter per request')
  const plain = { prefix: '/users', handler: original } as unknown as RouteOptions & { prefix: string }
  leanProxyHandler('/up', () => true)(plain)
  t.not(plain.handler, original, 'a plain prefix gets the lean handler')
})

t.test('a request the forwarder does not take goes to http-proxy\'s own handler', async (t) => {
  const calls: string[] = []
  const original = (): string => { calls.push('http-proxy'); return 'reply' }
  const route = { prefix: '/users', handler: original } as unknown as RouteOptions & { prefix: string }
  leanProxyHandler('/up', (_request, _reply, path) => { calls.push(`forward ${path}`); return false })(route)
  const request = { url: '/users/7?x=1', headers: {} }
  const result = (route.handler as unknown as (request: unknown, reply: unknown) => unknown)(request, {})
  t.same(calls, ['forward /up/7', 'http-proxy'], 'offered to the forwarder first, with the upstream path')
  t.equal(result, 'reply', 'http-proxy\'s answer is returned')
})
