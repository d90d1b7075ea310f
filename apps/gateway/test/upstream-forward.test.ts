// The forwarder (upstream-forward.ts) took over from reply-from on the plain HTTP path (issue #18). What reply-from
// did to a request and its answer must still happen: hop-by-hop headers the client names in Connection never reach
// the upstream, the path is encoded as a URL would encode it, a header value Node cannot send is a 502, an invalid
// status code is a 502 that carries none of the upstream's headers, an upstream 503 is passed on (no retry), and a
// request body streams through with its length.
import t from 'tap'
import { connect, createServer, type Socket } from 'node:net'
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
  const answer = await rawRequest(gateway.port, rawGet('/api/x', ['Connection: X-Hop, x-OTHER', 'X-Hop: secret', 'X-Other: secret', 'X-Kept: yes']))
  t.equal(answer.status, 200)
  const seen = upstream.seen[0]?.headers
  t.equal(seen?.['x-hop'], undefined, 'a header named in Connection stays on the client\'s hop')
  t.equal(seen?.['x-other'], undefined, 'named in any case')
  t.equal(seen?.['x-kept'], 'yes', 'other headers go on')
  t.equal(seen?.host, new URL(upstream.url).host, 'Host is the upstream\'s')
})

t.test('the upstream path is what a URL makes of it; a `..` inside a segment is refused as before', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  for (const target of ['/api/a{b}', '/api/"q"<x>`', "/api/a|b^c[d]!$&'()*+,;=:@~?k={v}", '/api/plain-path_1.json?x=1', '/api/caf%C3%A9']) {
    const before = upstream.seen.length
    const answer = await rawRequest(gateway.port, rawGet(target))
    t.equal(answer.status, 200, target)
    // What reply-from sent: its URL's pathname (on this Node), and the query as the client wrote it.
    const query = target.indexOf('?')
    const path = query === -1 ? target : target.slice(0, query)
    const expected = new URL(path, upstream.url).pathname + (query === -1 ? '' : target.slice(query))
    t.equal(upstream.seen[before]?.url, expected, `${target} → ${expected}`)
  }
  const seen = upstream.seen.length
  for (const target of ['/api/..foo', '/api/a../b', '/api/%2e%2ex', '/api/x/...y']) {
    t.equal((await rawRequest(gateway.port, rawGet(target))).status, 400, target)
  }
  t.equal(upstream.seen.length, seen, 'none reached the upstream')
})

t.test('a header value with a control character is refused by undici\'s parser: a 502, and the gateway goes on', async (t) => {
  // Every byte Node would refuse to write in a header value (CR and LF end the line instead).
  const bytes = [...Array.from({ length: 0x20 }, (_, byte) => byte), 0x7f].filter((byte) => byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)
  for (const byte of bytes) {
    const upstream = await startRawUpstream(t, `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Odd: a${String.fromCharCode(byte)}b\r\nContent-Length: 2\r\n\r\nok`)
    const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
    const answer = await rawRequest(gateway.port, rawGet('/api/x'))
    t.equal(answer.status, 502, `0x${byte.toString(16)}: never a value Node would refuse to write`)
    t.notMatch(answer.head, /x-odd/i)
    t.equal((await rawRequest(gateway.port, rawGet('/api/x'))).status, 502, 'the gateway keeps answering')
  }
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

t.test('a request body streams through: its length, or its chunks as they come, and its content type as sent', async (t) => {
  const upstream = await startUpstream(t)
  const bodies: string[] = []
  upstream.handle((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { body += chunk })
    request.on('end', () => {
      bodies.push(body)
      const text = `${request.headers['content-length'] ?? '-'} ${request.headers['transfer-encoding'] ?? '-'} ${request.headers['content-type'] ?? '-'}`
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(text.length) })
      response.end(text)
    })
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const sized = await rawRequest(gateway.port, ['POST /api/x HTTP/1.1', 'Host: gateway.test', 'Content-Type: application/json', 'Content-Length: 11', 'Connection: close', '', '{"a":"b c"}'].join('\r\n'))
  t.equal(sized.status, 200)
  t.equal(sized.body, '11 - application/json', 'the client\'s Content-Length goes on')
  // Sent in two writes: the upstream request starts before the body has ended, so it goes on chunked.
  const socket = connect(gateway.port, '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => { chunks.push(chunk) })
  socket.write(['POST /api/x HTTP/1.1', 'Host: gateway.test', 'Content-Type: application/octet-stream; x=1', 'Transfer-Encoding: chunked', 'Connection: close', '', '3', 'abc', ''].join('\r\n'))
  await new Promise((resolve) => setTimeout(resolve, 200))
  // Not end(): a half-closed client gets no answer (Node closes it); Connection: close ends it after the answer.
  socket.write(['2', 'de', '0', '', ''].join('\r\n'))
  await once(socket, 'close')
  const chunked = Buffer.concat(chunks).toString('latin1')
  t.match(chunked, /^HTTP\/1\.1 200 /)
  t.match(chunked, /\r\n\r\n- chunked application\/octet-stream; x=1$/, 'chunked on, the content type untouched')
  t.same(bodies, ['{"a":"b c"}', 'abcde'])
})

t.test('a text/plain body (parsed by Fastify, so left to reply-from) still goes through', async (t) => {
  const upstream = await startUpstream(t)
  let received = ''
  upstream.handle((request, response) => {
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { received += chunk })
    request.on('end', () => { response.writeHead(204); response.end() })
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const answer = await rawRequest(gateway.port, ['POST /api/x HTTP/1.1', 'Host: gateway.test', 'Content-Type: text/plain', 'Content-Length: 5', 'Connection: close', '', 'hello'].join('\r\n'))
  t.equal(answer.status, 204)
  t.equal(received, 'hello')
})

t.test('an upstream answering before the upload ended: Connection: close, and the gateway outlives the rest of the body', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' })
    response.end('early')
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const socket = connect(gateway.port, '127.0.0.1')
  socket.on('error', () => {})
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => { chunks.push(chunk) })
  socket.write(['POST /api/x HTTP/1.1', 'Host: gateway.test', 'Content-Type: application/octet-stream', 'Transfer-Encoding: chunked', '', '4', 'part', ''].join('\r\n'))
  const deadline = Date.now() + 3000
  while (!Buffer.concat(chunks).toString('latin1').includes('early') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  const head = Buffer.concat(chunks).toString('latin1')
  t.match(head, /^HTTP\/1\.1 200 /)
  t.match(head, /\r\nconnection: close\r\n/i, 'the connection cannot carry another request')
  // The slow-client sweep runs every second and the unread-body rule on 'finish': both read the connection of a
  // request whose upstream exchange detached it.
  await new Promise((resolve) => setTimeout(resolve, 1300))
  if (!socket.destroyed) socket.write(['4', 'more', ''].join('\r\n'))
  await new Promise((resolve) => setTimeout(resolve, 1300))
  socket.destroy()
  const after = await rawRequest(gateway.port, rawGet('/api/x'))
  t.equal(after.status, 200, 'the gateway still answers')
})
