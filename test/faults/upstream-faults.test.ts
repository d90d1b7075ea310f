// docs/design.md#failure-behaviour, the upstream row, through the real gateway
// (apps/gateway/test/upstream-failures.test.ts covers the basic 502/504/mid-body cases): an upstream that resets before
// sending a status gets a generic 502, and a POST or PATCH is never replayed to it (idempotent methods may be,
// boundedly); one upstream refusing connections leaves the routes of the others answering ("circuit stays closed to
// other upstreams"); a hanging upstream's 504s and the clients that give up on it leave no socket open on either side
// (socket counts return to baseline).
import t from 'tap'
import { get, type Server } from 'node:http'
import { startGateway, startUpstream } from '../../apps/gateway/test/helpers.js'
import { closedPort } from '@authgate/test-kit/ports'

const BAD_GATEWAY = { statusCode: 502, code: 'GATEWAY_BAD_GATEWAY', error: 'Bad Gateway', message: 'The upstream service is unavailable' }

function openConnections (server: Server): Promise<number> {
  return new Promise((resolve, reject) => { server.getConnections((error, count) => { if (error === null) resolve(count); else reject(error) }) })
}

/**
 * A GET on a connection of its own (`agent: false`: closed after the answer), so open sockets are the server's doing.
 * `abandon`: the client gives up `afterMs` after sending, but not before `reached()` says the upstream holds the
 * request (polled, at most 5 s): on a loaded machine the gateway may take longer than `afterMs` to forward, and a
 * client that gives up before that tests nothing about the upstream's socket.
 */
function getOnce (url: string, abandon?: { afterMs: number, reached: () => boolean }): Promise<number | 'aborted'> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false }, (response) => {
      response.resume()
      response.on('end', () => { resolve(response.statusCode ?? 0) })
    })
    request.on('error', () => { resolve('aborted') })
    if (abandon === undefined) return
    const started = Date.now()
    const poll = setInterval(() => {
      const waited = Date.now() - started
      if (waited < abandon.afterMs || (!abandon.reached() && waited < 5000)) return
      clearInterval(poll)
      request.destroy()
    }, 10)
  })
}

async function settlesTo (server: Server, expected: number, timeoutMs: number): Promise<number> {
  const started = Date.now()
  let count = await openConnections(server)
  while (count > expected && Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    count = await openConnections(server)
  }
  return count
}

t.test('an upstream that resets the connection before answering: a generic 502, and a POST or PATCH is sent to it only once', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request) => { request.socket.destroy() })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'GET']) {
    const before = upstream.seen.length
    const answer = await fetch(`${gateway.origin}/api/orders`, { method, ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{"pay":100}', headers: { 'content-type': 'application/json' } }) })
    const text = await answer.text()
    t.equal(answer.status, 502, `${method}: 502`)
    t.same(JSON.parse(text), BAD_GATEWAY, `${method}: the generic body`)
    t.notMatch(text, /127\.0\.0\.1|ECONNRESET|socket|\d{4,5}/, `${method}: nothing about the upstream`)
    const sent = upstream.seen.length - before
    // The catalogue's rule: only idempotent methods may be retried; a POST or PATCH is never replayed.
    if (method === 'POST' || method === 'PATCH') t.equal(sent, 1, `${method}: sent exactly once, never replayed`)
    else t.ok(sent >= 1 && sent <= 4, `${method}: sent ${sent} time(s) (an idempotent retry is allowed, bounded)`)
  }
})

t.test('one upstream refusing connections leaves the routes of the other upstreams answering', async (t) => {
  const healthy = await startUpstream(t)
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/down', upstream: `http://127.0.0.1:${await closedPort()}`, auth: 'none' },
      { prefix: '/up', upstream: healthy.url, auth: 'none' }
    ]
  })
  const answers = await Promise.all(Array.from({ length: 60 }, async (_, index) => {
    const path = index % 2 === 0 ? '/down/x' : `/up/${index}`
    const answer = await fetch(`${gateway.origin}${path}`)
    await answer.arrayBuffer()
    return `${path.startsWith('/down') ? 'down' : 'up'} ${answer.status}`
  }))
  t.same([...new Set(answers)].sort(), ['down 502', 'up 200'], 'every request to the refusing upstream is 502, every other one 200')
  for (let round = 0; round < 3; round++) {
    const after = await fetch(`${gateway.origin}/up/after-${round}`)
    await after.arrayBuffer()
    t.equal(after.status, 200, `the healthy upstream still answers afterwards (${round + 1})`)
  }
})

t.test('a hanging upstream: its 504s and the clients that give up leave no socket open on either side', async (t) => {
  const upstream = await startUpstream(t)
  // Never answers: only the gateway (timeout or client abort) ends these requests.
  upstream.handle((request) => { request.resume() })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none', timeout: '400ms' }] })
  const upstreamBaseline = await openConnections(upstream.server)
  const timedOut = await Promise.all(Array.from({ length: 20 }, async (_, index) => getOnce(`${gateway.origin}/api/hang-${index}`)))
  t.same(timedOut, Array(20).fill(504), '20 requests to the hanging upstream: 504 each')
  const abandoned = await Promise.all(Array.from({ length: 10 }, async (_, index) => getOnce(`${gateway.origin}/api/abandoned-${index}`, {
    afterMs: 100, reached: () => upstream.seen.some((seen) => seen.url.endsWith(`/abandoned-${index}`))
  })))
  t.same(abandoned, Array(10).fill('aborted'), '10 clients gave up after 100 ms')
  t.equal(upstream.seen.length, 30, 'all 30 reached the upstream')
  const upstreamLeft = await settlesTo(upstream.server, upstreamBaseline, 5000)
  t.equal(upstreamLeft, upstreamBaseline, `upstream sockets back to the baseline (${upstreamLeft} open, baseline ${upstreamBaseline})`)
  const gatewayLeft = await settlesTo(gateway.app.server, 0, 6000)
  t.equal(gatewayLeft, 0, `client sockets on the gateway closed (${gatewayLeft} open)`)
  upstream.handle((request, response) => { request.resume(); response.end('fine') })
  const after = await fetch(`${gateway.origin}/api/ok`)
  t.equal(await after.text(), 'fine', 'the next request is served')
})
