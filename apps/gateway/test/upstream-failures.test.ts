// Upstream failures and streaming: refused → 502, slow → 504 (generic JSON, no address: B.36), reset mid-response,
// the upstream's own statuses and bodies pass through untouched (no retries), large bodies stream both ways.
import t from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { request as httpRequest } from 'node:http'
import { rawGet, startGateway, startUpstream } from './helpers.js'
import { closedPort } from '@authgate/test-kit/ports'

t.test('upstream refusing connections → 502 JSON without its address', async (t) => {
  const port = await closedPort()
  const gateway = await startGateway(t, { routes: [{ prefix: '/down', upstream: `http://127.0.0.1:${port}`, auth: 'none' }] })
  for (const method of ['GET', 'POST']) {
    const answer = await fetch(`${gateway.origin}/down/x`, { method, ...(method === 'POST' ? { body: 'x' } : {}) })
    t.equal(answer.status, 502, method)
    const text = await answer.text()
    t.same(JSON.parse(text), { statusCode: 502, code: 'GATEWAY_BAD_GATEWAY', error: 'Bad Gateway', message: 'The upstream service is unavailable' })
    t.notMatch(text, /127\.0\.0\.1|ECONNREFUSED|\d{4,5}/)
  }
})

t.test('upstream slower than the route timeout → 504 JSON; other routes are unaffected', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    const delay = request.url?.includes('slow') === true ? 1500 : 0
    setTimeout(() => { if (!response.destroyed) response.end('done') }, delay)
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none', timeout: '300ms' }] })
  const started = Date.now()
  const slow = await fetch(`${gateway.origin}/api/slow`)
  t.equal(slow.status, 504)
  t.ok(Date.now() - started < 1400, 'answered at the timeout, not when the upstream finished')
  const text = await slow.text()
  t.same(JSON.parse(text), { statusCode: 504, code: 'GATEWAY_TIMEOUT', error: 'Gateway Timeout', message: 'The upstream service did not answer in time' })
  t.notMatch(text, /127\.0\.0\.1/)
  const fast = await fetch(`${gateway.origin}/api/fast`)
  t.equal(fast.status, 200)
  t.equal(await fast.text(), 'done')
})

t.test('an upstream reset mid-response aborts that response only; the gateway keeps serving', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    if (request.url?.includes('reset') === true) {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000000' })
      response.write('partial')
      setTimeout(() => { response.socket?.destroy() }, 50)
      return
    }
    response.end('fine')
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  const outcome = await new Promise<{ status: number, error: boolean, body: string }>((resolve) => {
    const request = httpRequest(`${gateway.origin}/api/reset`, (response) => {
      let body = ''
      response.setEncoding('latin1')
      response.on('data', (chunk: string) => { body += chunk })
      response.on('error', () => { resolve({ status: response.statusCode ?? 0, error: true, body }) })
      response.on('aborted', () => { resolve({ status: response.statusCode ?? 0, error: true, body }) })
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, error: false, body }) })
    })
    request.on('error', () => { resolve({ status: 0, error: true, body: '' }) })
    request.end()
  })
  t.equal(outcome.status, 200, 'the headers had already gone out')
  t.ok(outcome.error || outcome.body.length < 1_000_000, 'the client sees a truncated response, not a complete one')
  const after = await fetch(`${gateway.origin}/api/ok`)
  t.equal(after.status, 200)
  t.equal(await after.text(), 'fine')
})

t.test('upstream statuses and bodies pass through untouched; a 503 is not retried', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    const status = Number(request.url?.split('/').at(-1))
    response.writeHead(status, { 'content-type': 'application/problem+json', 'retry-after': '1', 'x-upstream': 'yes' })
    response.end(JSON.stringify({ upstream: true, status }))
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none' }] })
  for (const status of [404, 418, 500, 503]) {
    const before = upstream.seen.length
    const answer = await fetch(`${gateway.origin}/api/${status}`)
    t.equal(answer.status, status)
    t.equal(answer.headers.get('x-upstream'), 'yes')
    t.same(await answer.json(), { upstream: true, status })
    t.equal(upstream.seen.length, before + 1, `${status}: one upstream request`)
  }
})

t.test('a large body streams both ways', async (t) => {
  const size = 24 * 1024 * 1024
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    if (request.method === 'POST') {
      const hash = createHash('sha256')
      let length = 0
      request.on('data', (chunk: Buffer) => { hash.update(chunk); length += chunk.length })
      request.on('end', () => { response.end(JSON.stringify({ length, sha256: hash.digest('hex') })) })
      return
    }
    request.resume()
    response.writeHead(200, { 'content-type': 'application/octet-stream' })
    let sent = 0
    const chunk = Buffer.alloc(64 * 1024, 7)
    const pump = (): void => {
      while (sent < size) {
        sent += chunk.length
        if (!response.write(chunk)) {
          response.once('drain', pump)
          return
        }
      }
      response.end()
    }
    pump()
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/files', upstream: upstream.url, auth: 'none' }], server: { bodyLimit: 1024 * 1024 } })
  const payload = randomBytes(size)
  const upload = await fetch(`${gateway.origin}/files/up`, { method: 'POST', body: payload, headers: { 'content-type': 'application/octet-stream' } })
  t.equal(upload.status, 200)
  t.same(await upload.json(), { length: size, sha256: createHash('sha256').update(payload).digest('hex') }, 'the upstream got every byte (streamed, past the 1 MiB bodyLimit)')
  const download = await fetch(`${gateway.origin}/files/down`)
  t.equal(download.status, 200)
  let received = 0
  for await (const part of download.body as unknown as AsyncIterable<Uint8Array>) received += part.length
  t.equal(received, size)
})

t.test('a client that disconnects cancels its upstream request long before the route timeout', async (t) => {
  const upstream = await startUpstream(t)
  let upstreamClosedAt = 0
  upstream.handle((request, response) => {
    request.resume()
    // Never answers: only the gateway aborting (or the route timeout) ends this request.
    response.on('close', () => { upstreamClosedAt = Date.now() })
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'none', timeout: '20s' }] })
  const socket = connect(gateway.port, '127.0.0.1')
  socket.on('error', () => { /* closed by us */ })
  socket.write(rawGet('/api/slow'))
  for (let waited = 0; upstream.seen.length === 0 && waited < 3000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(upstream.seen.length, 1, 'the request reached the upstream')
  const closedAt = Date.now()
  socket.destroy()
  for (let waited = 0; upstreamClosedAt === 0 && waited < 5000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
  t.ok(upstreamClosedAt !== 0, 'the upstream saw its request aborted')
  t.ok(upstreamClosedAt - closedAt < 2000, `within ${upstreamClosedAt - closedAt} ms, not at the 20 s timeout`)
  // The pool is unharmed: the next request is served.
  upstream.handle((request, response) => { request.resume(); response.end('fine') })
  const after = await fetch(`${gateway.origin}/api/ok`)
  t.equal(await after.text(), 'fine')
})
