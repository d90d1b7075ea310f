// The forwarder (upstream-forward.ts) took over from reply-from on the plain HTTP path (issue #18). What reply-from
// did to a request and its answer must still happen: hop-by-hop headers the client names in Connection never reach
// the upstream, the path is encoded as a URL would encode it, a header value Node cannot send is a 502, an invalid
// status code is a 502 that carries none of the upstream's headers, an upstream 503 is passed on (no retry), and a
// request body streams through with its length.
import t from 'tap'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import { rawGet, rawRequest, startGateway, startUpstream, type TeardownHost } from './helpers.js'

/** An upstream that writes `answer` verbatim to every connection once a request head has arrived. */
async function startRawUpstream (t: TeardownHost, answer: string): Promise<{ url: string, heads: string[] }> {
  const heads: string[] = []
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    let received = ''
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      const end = received.indexOf('\r\n\r\n')
      if (end === -1) return
      heads.push(received.slice(0, end))
      received = received.slice(end + 4)
      socket.end(answer)
    })
    socket.on('error', () => {})
    socket.on('close', () => { sockets.delete(socket) })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return { url: `http://127.0.0.1:${address.port}`, heads }
}

t.test('headers the client names in Connection are not forwarded; the others are, with the upstream\'s Host', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const answer = await rawRequest(gateway.port, rawGet('/api/x', ['Connection: X-Hop, keep-alive', 'X-Hop: secret', 'Keep-Alive: timeout=5', 'X-Kept: yes']))
  t.equal(answer.status, 200)
  const seen = upstream.seen[0]?.headers
  t.equal(seen?.['x-hop'], undefined, 'a header named in Connection stays on the client\'s hop')
  t.equal(seen?.['keep-alive'], undefined)
  t.equal(seen?.['x-kept'], 'yes', 'other headers go on')
  t.equal(seen?.host, new URL(upstream.url).host, 'Host is the upstream\'s')
  t.not(seen?.connection, 'X-Hop, keep-alive', 'the client\'s Connection header is not forwarded')
})

t.test('the upstream path is encoded where a URL would encode it; other characters pass as sent', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const cases: Array<[string, string]> = [
    ['/api/a{b}', '/api/a%7Bb%7D'],
    ['/api/"q"<x>`', '/api/%22q%22%3Cx%3E%60'],
    ['/api/a|b^c[d]!$&\'()*+,;=:@~?k={v}', '/api/a|b^c[d]!$&\'()*+,;=:@~?k={v}'],
    ['/api/plain-path_1.json?x=1', '/api/plain-path_1.json?x=1']
  ]
  for (const [target, expected] of cases) {
    const before = upstream.seen.length
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.equal(answer.status, 200, target)
    t.equal(upstream.seen[before]?.url, expected, `${target} → ${expected}`)
  }
})

t.test('a header value with a control character is refused by undici\'s parser: a 502, and the gateway goes on', async (t) => {
  const upstream = await startRawUpstream(t, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Odd: a\x7Fb\r\nContent-Length: 2\r\n\r\nok')
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const answer = await rawRequest(gateway.port, rawGet('/api/x'))
  t.equal(answer.status, 502, 'never a value Node would refuse to write (which would fail the answer half-sent)')
  t.notMatch(answer.head, /x-odd/i)
  t.equal((await rawRequest(gateway.port, rawGet('/api/x'))).status, 502, 'the gateway keeps answering')
})

t.test('an invalid upstream status code is a 502 without the upstream\'s headers', async (t) => {
  const upstream = await startRawUpstream(t, 'HTTP/1.1 999 Odd\r\nContent-Type: text/plain\r\nX-From-Upstream: 1\r\nContent-Length: 2\r\n\r\nok')
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const answer = await rawRequest(gateway.port, rawGet('/api/x'))
  t.equal(answer.status, 502)
  t.notMatch(answer.head, /x-from-upstream/i, 'none of the upstream\'s headers')
  t.match(answer.body, /GATEWAY_BAD_GATEWAY/)
  const again = await rawRequest(gateway.port, rawGet('/api/x'))
  t.equal(again.status, 502, 'the gateway keeps answering')
})

t.test('an upstream 503 is passed on once, not retried', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '0' })
    response.end('busy')
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const answer = await rawRequest(gateway.port, rawGet('/api/x'))
  t.equal(answer.status, 503)
  t.match(answer.body, /busy/)
  t.equal(upstream.seen.length, 1, 'one upstream request')
})

t.test('a request body streams through with its length; a chunked one arrives whole', async (t) => {
  const upstream = await startUpstream(t)
  const bodies: string[] = []
  upstream.handle((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { body += chunk })
    request.on('end', () => {
      bodies.push(body)
      const text = `${request.headers['content-length'] ?? '-'} ${request.headers['transfer-encoding'] ?? '-'}`
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(text.length) })
      response.end(text)
    })
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const sized = await rawRequest(gateway.port, ['POST /api/x HTTP/1.1', 'Host: gateway.test', 'Content-Type: application/json', 'Content-Length: 11', 'Connection: close', '', '{"a":"b c"}'].join('\r\n'))
  t.equal(sized.status, 200)
  t.equal(sized.body, '11 -', 'the client\'s Content-Length goes on')
  const chunked = await rawRequest(gateway.port, ['POST /api/x HTTP/1.1', 'Host: gateway.test', 'Content-Type: text/plain', 'Transfer-Encoding: chunked', 'Connection: close', '', '3', 'abc', '2', 'de', '0', '', ''].join('\r\n'))
  t.equal(chunked.status, 200)
  t.same(bodies, ['{"a":"b c"}', 'abcde'])
})
