// #16 item 6: one access line per request (route, status, duration, user and session ids, request id; never a
// token), `log.access: false` turns it off, and the request id: a trusted proxy's X-Request-Id kept, anyone else's
// replaced, forwarded upstream and sent back.
import t from 'tap'
import { rawGet, rawRequest, startGateway, startUpstream } from './helpers.js'

interface Line { msg?: string, event?: string, reqId?: string, [key: string]: unknown }

function logTo (lines: Line[]): { logger: undefined, logStream: { write: (line: string) => void } } {
  return { logger: undefined, logStream: { write: (line: string) => { lines.push(JSON.parse(line) as Line) } } }
}

/** A response header of a raw answer (the last one, as a client would read a repeated one). */
function idOf (answer: { head: string }): string | undefined {
  return [...answer.head.matchAll(/^x-request-id: (.*)$/gim)].at(-1)?.[1]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('one access line per request, with the route pattern, status, duration and verified ids', async (t) => {
  const upstream = await startUpstream(t)
  const lines: Line[] = []
  const gateway = await startGateway(t, {
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }, { prefix: '/public', upstream: upstream.url, auth: 'none' }]
  }, logTo(lines))
  const token = gateway.token('u-42', ['user'], 'sid-abc')
  t.equal((await fetch(`${gateway.origin}/api/orders/17?card=4111111111111111`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
  t.equal((await fetch(`${gateway.origin}/api/orders/17`)).status, 401)
  t.equal((await fetch(`${gateway.origin}/public/x`)).status, 200)
  t.equal((await fetch(`${gateway.origin}/nowhere`)).status, 404)
  const access = lines.filter((line) => line.event === 'access')
  t.equal(access.length, 4, 'one line per request')
  t.notOk(lines.some((line) => line.msg === 'incoming request' || line.msg === 'request completed'), 'Fastify\'s own pair is off')
  const [ok, refused, open, missing] = access
  t.match(ok, { method: 'GET', url: '/api/orders/17?card=[redacted]', status: 200, userId: 'u-42', sessionId: 'sid-abc', reqId: UUID })
  t.ok(typeof ok?.route === 'string' && ok.route.startsWith('/api'), 'the route pattern, not the raw path')
  t.notOk(String(ok?.route).includes('orders'))
  t.type(ok?.durationMs, 'number')
  t.match(refused, { status: 401, userId: undefined, sessionId: undefined })
  t.match(open, { status: 200, userId: undefined })
  t.match(missing, { status: 404, route: '(none)' })
  t.notMatch(JSON.stringify(lines), token.split('.')[2] ?? token, 'no token in any line')
  t.notMatch(JSON.stringify(lines), '4111111111111111', 'no query value (a card number no request id or time can spell by chance)')
})

t.test('log.access: false writes no access line', async (t) => {
  const upstream = await startUpstream(t)
  const lines: Line[] = []
  const gateway = await startGateway(t, { log: { access: false }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] }, logTo(lines))
  t.equal((await fetch(`${gateway.origin}/public/x`)).status, 200)
  t.equal(lines.filter((line) => line.event === 'access' || line.msg === 'incoming request').length, 0)
})

t.test('request id: generated, sent back, forwarded upstream, and in the access line', async (t) => {
  const upstream = await startUpstream(t)
  const lines: Line[] = []
  const gateway = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] }, logTo(lines))
  const answer = await fetch(`${gateway.origin}/public/x`)
  const id = answer.headers.get('x-request-id')
  t.match(id, UUID)
  t.equal(upstream.seen.at(-1)?.headers['x-request-id'], id, 'the upstream logs the same id')
  t.equal(lines.find((line) => line.event === 'access')?.reqId, id)
  const second = await fetch(`${gateway.origin}/public/x`)
  t.not(second.headers.get('x-request-id'), id, 'each request its own')
  const gone = await fetch(`${gateway.origin}/nowhere`)
  t.match(gone.headers.get('x-request-id'), UUID, 'the gateway\'s own answers carry one too')
})

t.test('request id: kept from a trustProxy peer when well formed, replaced otherwise', async (t) => {
  const upstream = await startUpstream(t)
  // Loopback alone is not trusted with it (nginx passes a client's X-Request-Id through): trustProxy says who is.
  const plain = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  t.match(idOf(await rawRequest(plain.port, rawGet('/public/x', ['X-Request-Id: chosen-by-client']))), UUID, 'no trustProxy: replaced')
  t.match(upstream.seen.at(-1)?.headers['x-request-id'], UUID)
  const gateway = await startGateway(t, { server: { trustProxy: true }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  const kept = await rawRequest(gateway.port, rawGet('/public/x', ['X-Request-Id: 01HZX3-proxy-id']))
  t.equal(idOf(kept), '01HZX3-proxy-id')
  t.equal(upstream.seen.at(-1)?.headers['x-request-id'], '01HZX3-proxy-id')
  for (const bad of ['has space', 'a'.repeat(129), 'line\tbreak', '"quoted"', '{"json":1}']) {
    const answer = await rawRequest(gateway.port, rawGet('/public/x', [`X-Request-Id: ${bad}`]))
    t.match(idOf(answer), UUID, `replaced: ${bad.slice(0, 20)}`)
    t.match(upstream.seen.at(-1)?.headers['x-request-id'], UUID)
  }
  const twice = await rawRequest(gateway.port, rawGet('/public/x', ['X-Request-Id: one', 'X-Request-Id: two']))
  t.match(idOf(twice), UUID, 'a repeated header is no id')
})

t.test('request id: an upstream\'s own X-Request-Id never replaces the gateway\'s', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((_request, response) => { response.setHeader('x-request-id', 'upstream-own-id'); response.end('ok') })
  const lines: Line[] = []
  const gateway = await startGateway(t, { routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] }, logTo(lines))
  const answer = await fetch(`${gateway.origin}/public/x`)
  t.match(answer.headers.get('x-request-id'), UUID)
  t.equal(answer.headers.get('x-request-id'), lines.find((line) => line.event === 'access')?.reqId, 'the id the access line carries')
})

t.test('request id: with server.trustProxy, the listed proxies\' ids are kept', async (t) => {
  const gateway = await startGateway(t, { server: { trustProxy: ['203.0.113.9'] }, routes: [] })
  const trusted = await gateway.app.inject({ method: 'GET', url: '/nowhere', remoteAddress: '203.0.113.9', headers: { 'x-request-id': 'from-the-lb' } })
  t.equal(trusted.headers['x-request-id'], 'from-the-lb')
  const other = await gateway.app.inject({ method: 'GET', url: '/nowhere', remoteAddress: '198.51.100.1', headers: { 'x-request-id': 'from-the-lb' } })
  t.match(other.headers['x-request-id'], UUID)
})

t.test('log.access must be a boolean', async (t) => {
  const { parseConfig } = await import('../src/config.js')
  t.throws(() => parseConfig({ log: { access: 'yes' } }), /log\.access/)
  t.throws(() => parseConfig({ log: { acess: false } }), /log\.acess: unknown key \(did you mean access\?\)/)
})

t.test('every kind of answer gets its line: 502, 414, the plugin\'s routes, forward-auth, a client gone (499)', async (t) => {
  const upstream = await startUpstream(t)
  let release = (): void => {}
  upstream.handle((request, response) => {
    if (request.url?.includes('slow') === true) { release = () => { response.end('late') }; return }
    response.end('ok')
  })
  const lines: Line[] = []
  const gateway = await startGateway(t, {
    server: { maxUrlLength: 256 },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }, { prefix: '/down', upstream: 'http://127.0.0.1:1', auth: 'none' }, { prefix: '/public', upstream: upstream.url, auth: 'none' }]
  }, logTo(lines))
  const access = (): Line[] => lines.filter((line) => line.event === 'access')
  t.equal((await fetch(`${gateway.origin}/down/x`)).status, 502)
  t.match(access().at(-1), { status: 502, route: '/down/*' })
  t.equal((await rawRequest(gateway.port, rawGet(`/public/${'x'.repeat(300)}`))).status, 414)
  t.match(access().at(-1), { status: 414 })
  const login = await fetch(`${gateway.origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password-1' }) })
  t.equal(login.status, 401)
  t.match(access().at(-1), { status: 401, method: 'POST', url: '/auth/login' })
  t.notMatch(JSON.stringify(lines), 'wrong-password-1', 'no password in any line')
  const token = gateway.token('u-7', ['user'], 'sid-7')
  const verified = await fetch(`${gateway.origin}/auth/verify`, { headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/api/x' } })
  t.equal(verified.status, 200)
  t.match(access().at(-1), { status: 200, url: '/auth/verify', userId: 'u-7', sessionId: 'sid-7' }, 'forward-auth names whom it verified')
  // A client that leaves before its answer: one line, 499, and none more when the upstream answers late.
  const controller = new AbortController()
  const gone = fetch(`${gateway.origin}/public/slow`, { signal: controller.signal }).catch(() => 'aborted')
  for (let waited = 0; upstream.seen.at(-1)?.url !== '/public/slow' && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  controller.abort()
  t.equal(await gone, 'aborted')
  for (let waited = 0; !access().some((line) => line.status === 499) && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  release()
  await new Promise((resolve) => setTimeout(resolve, 200))
  const slow = access().filter((line) => line.url === '/public/slow')
  t.equal(slow.length, 1, 'one line for the request')
  t.match(slow[0], { status: 499, aborted: true })
})
