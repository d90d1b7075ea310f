// The lean hop (issue #18 item 2): the proxy handler that skips http-proxy's per-request URL re-validation
// (proxy-handler.ts) and the undici dispatch handler that buffers small answers (upstream-exchange.ts). What they
// must keep: the upstream path and query as before, headers as undici's request() parsed them, no header invented,
// a clean 502 rather than a truncated answer when a small body fails, a client's departure cancelling the upstream.
import t from 'tap'
import { request as httpRequest } from 'node:http'
import { rawGet, rawRequest, startGateway, startUpstream } from './helpers.js'
import { BUFFERED_BODY_LIMIT } from '../src/upstream-exchange.js'

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
  const started = Date.now()
  setTimeout(() => { client.destroy() }, 100)
  await closed
  t.ok(Date.now() - started < 5000, 'the upstream connection closed soon after the client left')
})
