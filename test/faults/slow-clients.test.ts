// Issue #11, item 1: slow clients must not take an upstream offline. Real sockets against a real gateway and a
// real upstream: a flood of trickling uploads on one route while another route on the same upstream keeps
// answering; per-route slots (maxConcurrent) with a bounded queue (503 + Retry-After) and a total budget that
// includes the wait for a slot (504); a client that stops reading is dropped after server.idleTimeout and its
// upstream connection released; bodies slower than server.minBodyRate, and requests not whole within
// server.requestTimeout, get 408 and a closed connection. Every wait is bounded; nothing is timed against a limit.
import t from 'tap'
import { connect, type Socket } from 'node:net'
import type { ServerResponse } from 'node:http'
import { startGateway, startUpstream, waitForLoad, type TeardownHost } from '../../apps/gateway/test/helpers.js'

const REQUEST_TIMEOUT = { statusCode: 408, code: 'GATEWAY_REQUEST_TIMEOUT', error: 'Request Timeout', message: 'The request was not received in time' }

interface RawClient {
  socket: Socket
  /** Everything the gateway wrote so far (latin1). */
  text: () => string
  /** Resolves when the gateway closed the connection (or it failed). */
  closed: Promise<void>
  isClosed: () => boolean
}

/** Opens a connection and writes `head` (and `body`); the socket stays open until the test or the gateway ends it. */
function rawClient (t: TeardownHost, port: number, head: string, body = ''): RawClient {
  const socket = connect(port, '127.0.0.1')
  const chunks: Buffer[] = []
  let closed = false
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('error', () => { /* a reset after the gateway closed: the close is what counts */ })
  const closedPromise = new Promise<void>((resolve) => { socket.on('close', () => { closed = true; resolve() }) })
  socket.write(head + body, 'latin1')
  t.teardown(() => { socket.destroy() })
  return { socket, text: () => Buffer.concat(chunks).toString('latin1'), closed: closedPromise, isClosed: () => closed }
}

function uploadHead (path: string, length: number, lines: readonly string[] = []): string {
  return [`POST ${path} HTTP/1.1`, 'Host: gateway.test', 'Content-Type: application/octet-stream', `Content-Length: ${length}`, ...lines, '', ''].join('\r\n')
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `condition` every 50 ms for at most `ms`; returns whether it held. */
async function eventually (condition: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 50) {
    if (condition()) return true
    await sleep(50)
  }
  return condition()
}

function bodyOf (text: string): unknown {
  const split = text.indexOf('\r\n\r\n')
  return JSON.parse(text.slice(split + 4))
}

t.test('a flood of 140 trickling uploads on /public: /api on the same upstream keeps answering; the overflow gets 503 + Retry-After', async (t) => {
  const upstream = await startUpstream(t)
  let uploadsSeen = 0
  upstream.handle((request, response) => {
    if (request.url?.startsWith('/public') === true) {
      uploadsSeen++
      request.resume()
      request.on('end', () => { response.end('stored') })
      return
    }
    request.resume()
    response.end('api ok')
  })
  // minBodyRate off: the flood lasts; only the per-route slots protect /api here.
  const gateway = await startGateway(t, {
    server: { minBodyRate: 0 },
    routes: [
      { prefix: '/public', upstream: upstream.url, auth: 'none' },
      { prefix: '/api', upstream: upstream.url, auth: 'none', timeout: '3s' }
    ]
  })
  const flood = Array.from({ length: 140 }, (_, index) => rawClient(t, gateway.port, uploadHead(`/public/upload/${index}`, 1_000_000), 'x'))
  const drip = setInterval(() => { for (const client of flood) if (!client.isClosed()) client.socket.write('x') }, 500)
  t.teardown(() => { clearInterval(drip) })
  // The default maxConcurrent (64) reach the upstream; meanwhile /api, on the same upstream, must keep answering.
  t.ok(await eventually(() => uploadsSeen >= 64, 10_000), 'the flood filled its route')
  for (let round = 0; round < 5; round++) {
    const answer = await fetch(`${gateway.origin}/api/orders/${round}`, { signal: AbortSignal.timeout(6000) }).catch((error: unknown) => error as Error)
    t.equal(answer instanceof Response ? answer.status : String(answer), 200, `/api request ${round + 1} answered during the flood`)
    if (answer instanceof Response) t.equal(await answer.text(), 'api ok')
  }
  // 64 more wait for a slot; the rest are refused at once.
  const isRefused = (client: RawClient): boolean => client.text().startsWith('HTTP/1.1 503')
  t.ok(await eventually(() => flood.filter(isRefused).length >= 12, 5000), 'the overflow was refused')
  t.equal(uploadsSeen, 64, 'no more uploads than the route\'s slots reached the upstream')
  const refused = flood.filter(isRefused)
  t.equal(refused.length, 140 - 128, 'beyond the slots and the queue: 503')
  const sample = refused[0]?.text() ?? ''
  t.match(sample, /\r\nretry-after: \d+\r\n/i, '503 carries Retry-After')
  if (sample !== '') t.match(bodyOf(sample), { statusCode: 503, code: 'GATEWAY_BUSY' })
})

t.test('maxConcurrent: one slot held, a second request waits, a third gets 503; the waiting one gets 504 when its budget runs out', async (t) => {
  const upstream = await startUpstream(t)
  let held: ServerResponse | undefined
  upstream.handle((request, response) => {
    request.resume()
    // Answers at once, then streams forever: the slot stays taken, without the route timeout firing.
    response.writeHead(200, { 'content-type': 'text/plain' })
    response.write('first chunk\n')
    held = response
    const tick = setInterval(() => { if (response.destroyed) clearInterval(tick); else response.write('.') }, 200)
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/files', upstream: upstream.url, auth: 'none', timeout: '1s', maxConcurrent: 1 }] })
  const first = rawClient(t, gateway.port, 'GET /files/big HTTP/1.1\r\nHost: gateway.test\r\n\r\n')
  t.ok(await eventually(() => first.text().includes('first chunk'), 5000), 'the first request is streaming')
  const second = rawClient(t, gateway.port, 'GET /files/other HTTP/1.1\r\nHost: gateway.test\r\n\r\n')
  t.ok(await waitForLoad(gateway.origin, '/files', (load) => load.active === 1 && load.queued === 1), 'the second request waits for the slot')
  const third = await fetch(`${gateway.origin}/files/third`)
  t.equal(third.status, 503)
  t.equal(third.headers.get('retry-after'), '1')
  t.same(await third.json(), { statusCode: 503, code: 'GATEWAY_BUSY', error: 'Service Unavailable', message: 'Too many requests in progress on this route; retry later' })
  t.ok(await eventually(() => second.text().startsWith('HTTP/1.1 '), 5000), 'the waiting request was answered')
  t.match(second.text(), /^HTTP\/1\.1 504 /, 'the wait for a slot counts against the route timeout: 504')
  t.match(bodyOf(second.text()), { statusCode: 504, code: 'GATEWAY_TIMEOUT' })
  t.equal(upstream.seen.length, 1, 'only the first request ever reached the upstream')
  t.ok(held !== undefined && !held.destroyed, 'the first stream goes on')
})

t.test('a client that stops reading a large response is dropped after server.idleTimeout and its upstream connection released', async (t) => {
  const upstream = await startUpstream(t)
  const closes: Array<{ finished: boolean }> = []
  upstream.handle((request, response) => {
    request.resume()
    if (request.url?.includes('big') !== true) {
      response.end('small')
      return
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' })
    response.on('close', () => { closes.push({ finished: response.writableFinished }) })
    const chunk = Buffer.alloc(64 * 1024, 1)
    let sent = 0
    // 1 GiB at most: far more than the socket buffers between the client and the upstream hold.
    const pump = (): void => {
      while (sent < 16_384 && !response.destroyed) {
        sent++
        if (!response.write(chunk)) {
          response.once('drain', pump)
          return
        }
      }
      response.end()
    }
    pump()
  })
  const gateway = await startGateway(t, { server: { idleTimeout: '1s' }, routes: [{ prefix: '/files', upstream: upstream.url, auth: 'none', timeout: '30s', maxConcurrent: 1 }] })
  const reader = rawClient(t, gateway.port, 'GET /files/big HTTP/1.1\r\nHost: gateway.test\r\n\r\n')
  t.ok(await eventually(() => reader.text().length > 0, 5000), 'the response started')
  reader.socket.pause()
  t.ok(await eventually(() => reader.isClosed() || closes.length > 0, 15_000), 'the gateway gave up on the client that stopped reading')
  t.ok(await eventually(() => closes.length === 1, 5000), 'the upstream response was closed')
  t.same(closes, [{ finished: false }], 'aborted before its end: the upstream connection is released, not drained into a buffer')
  const next = await fetch(`${gateway.origin}/files/small`, { signal: AbortSignal.timeout(5000) })
  t.equal(next.status, 200, 'the route\'s only slot is free again')
  t.equal(await next.text(), 'small')
})

t.test('a body slower than server.minBodyRate gets 408 (JSON) and a closed connection; a body at the rate passes', async (t) => {
  const upstream = await startUpstream(t)
  const aborted: string[] = []
  upstream.handle((request, response) => {
    let length = 0
    request.on('data', (chunk: Buffer) => { length += chunk.length })
    request.on('end', () => { response.end(JSON.stringify({ length })) })
    request.on('aborted', () => { aborted.push(request.url ?? '') })
  })
  const gateway = await startGateway(t, {
    server: { minBodyRate: { bytesPerSecond: 1024, grace: '1s' } },
    routes: [{ prefix: '/up', upstream: upstream.url, auth: 'none' }]
  })
  const slow = rawClient(t, gateway.port, uploadHead('/up/slow', 100_000), 'x')
  const drip = setInterval(() => { if (!slow.isClosed()) slow.socket.write('0123456789') }, 200)
  t.teardown(() => { clearInterval(drip) })
  t.ok(await eventually(() => slow.isClosed(), 10_000), 'the trickling client was disconnected')
  clearInterval(drip)
  t.match(slow.text(), /^HTTP\/1\.1 408 /)
  t.match(slow.text(), /\r\nconnection: close\r\n/i)
  t.same(bodyOf(slow.text()), REQUEST_TIMEOUT)
  t.ok(await eventually(() => aborted.includes('/up/slow'), 5000), 'the upstream saw the upload aborted')

  // 32 KiB in 8 KiB steps every 250 ms (32 KiB/s): well above the rate.
  const steady = rawClient(t, gateway.port, uploadHead('/up/steady', 32 * 1024))
  for (let step = 0; step < 4; step++) {
    await sleep(250)
    steady.socket.write(Buffer.alloc(8 * 1024, 7))
  }
  t.ok(await eventually(() => steady.text().includes('{"length":32768}'), 5000), 'a body at a fair rate is delivered whole')
})

t.test('a request not whole within server.requestTimeout gets 408 (JSON) and a closed connection', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    request.on('end', () => { response.end('done') })
  })
  // The body keeps the minimum rate (1 KiB every 200 ms) but never ends.
  const gateway = await startGateway(t, {
    server: { headersTimeout: '1s', requestTimeout: '2s', minBodyRate: { bytesPerSecond: 1024, grace: '1s' } },
    routes: [{ prefix: '/up', upstream: upstream.url, auth: 'none' }]
  })
  const client = rawClient(t, gateway.port, uploadHead('/up/endless', 10_000_000))
  const drip = setInterval(() => { if (!client.isClosed()) client.socket.write(Buffer.alloc(1024, 1)) }, 200)
  t.teardown(() => { clearInterval(drip) })
  t.ok(await eventually(() => client.isClosed(), 10_000), 'disconnected at the request deadline')
  t.match(client.text(), /^HTTP\/1\.1 408 /)
  t.same(bodyOf(client.text()), REQUEST_TIMEOUT)
})

t.test('server.idleTimeout spares a client waiting for its answer: a slow upstream within the route timeout answers', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    setTimeout(() => { if (!response.destroyed) response.end('late but in time') }, 2500)
  })
  const gateway = await startGateway(t, { server: { idleTimeout: '1s' }, routes: [{ prefix: '/slow', upstream: upstream.url, auth: 'none', timeout: '10s' }] })
  const answer = await fetch(`${gateway.origin}/slow/report`, { signal: AbortSignal.timeout(8000) })
  t.equal(answer.status, 200)
  t.equal(await answer.text(), 'late but in time')
})

t.test('Expect: 100-continue: the body is invited only once the route admitted the request', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    let length = 0
    request.on('data', (chunk: Buffer) => { length += chunk.length })
    request.on('end', () => { response.end(JSON.stringify({ length })) })
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }] })
  const client = rawClient(t, gateway.port, uploadHead('/api/upload', 5, [`Authorization: Bearer ${gateway.token('u1')}`, 'Expect: 100-continue']))
  t.ok(await eventually(() => client.text().startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 5000), 'authenticated and admitted: 100 Continue')
  client.socket.write('hello')
  t.ok(await eventually(() => client.text().includes('{"length":5}'), 5000), 'then the body goes through')
  const refused = rawClient(t, gateway.port, uploadHead('/api/upload', 5, ['Expect: 100-continue']))
  t.ok(await eventually(() => refused.isClosed(), 5000), 'without a token: answered and closed')
  t.match(refused.text(), /^HTTP\/1\.1 401 /, 'the refusal is the first and only answer')
  t.notMatch(refused.text(), /100 Continue/)
  // The plugin's own endpoints read credentials from the body: they invite it after their onRequest checks.
  const login = rawClient(t, gateway.port, [
    'POST /auth/login HTTP/1.1', 'Host: gateway.test', 'Content-Type: application/json', 'Content-Length: 2', 'Expect: 100-continue', '', ''
  ].join('\r\n'))
  t.ok(await eventually(() => login.text().startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 5000), '/auth/login: 100 Continue')
  login.socket.write('{}')
  t.ok(await eventually(() => /HTTP\/1\.1 400 /.test(login.text()), 5000), 'then its answer')
})

t.test('maxConcurrent: clients that leave while waiting or while streaming give their place back', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    if (request.url?.includes('stream') !== true) {
      response.end('ok')
      return
    }
    response.writeHead(200, { 'content-type': 'text/plain' })
    response.write('streaming\n')
    const tick = setInterval(() => { if (response.destroyed) clearInterval(tick); else response.write('.') }, 100)
  })
  const gateway = await startGateway(t, { routes: [{ prefix: '/r', upstream: upstream.url, auth: 'none', timeout: '20s', maxConcurrent: 1 }] })
  const holder = rawClient(t, gateway.port, 'GET /r/stream HTTP/1.1\r\nHost: gateway.test\r\n\r\n')
  t.ok(await eventually(() => holder.text().includes('streaming'), 5000), 'the only slot is taken')
  const quitters = Array.from({ length: 3 }, (_, index) => rawClient(t, gateway.port, `GET /r/quitter/${index} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`))
  t.ok(await waitForLoad(gateway.origin, '/r', (load) => load.queued === 1), 'one waits for the slot (the queue holds as many as the slots; the others got 503)')
  for (const quitter of quitters) quitter.socket.destroy()
  holder.socket.destroy()
  for (let round = 0; round < 3; round++) {
    const answer = await fetch(`${gateway.origin}/r/after/${round}`, { signal: AbortSignal.timeout(5000) }).catch((error: unknown) => error as Error)
    t.equal(answer instanceof Response ? answer.status : String(answer), 200, `request ${round + 1} after the others left is served`)
  }
  t.same(upstream.seen.map((seen) => seen.url).filter((url) => url.includes('quitter')), [], 'no request of a client that left reached the upstream')
})

t.test('maxConcurrent: a request pipelined behind a slow one, its client gone, gives its slot back', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    // /hold never answers (until the gateway aborts it); /r answers at once.
    if (request.url?.startsWith('/hold') !== true) response.end('ok')
  })
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/hold', upstream: upstream.url, auth: 'none', timeout: '20s' },
      { prefix: '/r', upstream: upstream.url, auth: 'none', timeout: '1s', maxConcurrent: 1 }
    ]
  })
  // Node handles the second request while the first is still in progress; its response is not attached to the
  // socket yet, so it would never emit 'close' when the client leaves.
  const pipelined = rawClient(t, gateway.port, 'GET /hold/a HTTP/1.1\r\nHost: gateway.test\r\n\r\nGET /r/b HTTP/1.1\r\nHost: gateway.test\r\n\r\n')
  t.ok(await eventually(() => upstream.seen.some((seen) => seen.url === '/hold/a'), 5000), 'the first request reached the upstream')
  await sleep(200)
  pipelined.socket.destroy()
  for (let round = 0; round < 3; round++) {
    const answer = await fetch(`${gateway.origin}/r/after/${round}`, { signal: AbortSignal.timeout(5000) }).catch((error: unknown) => error as Error)
    t.equal(answer instanceof Response ? answer.status : String(answer), 200, `request ${round + 1} after the pipelining client left is served`)
  }
})

t.test('a client reading a response slower than server.minBodyRate is dropped and its upstream request aborted', async (t) => {
  const upstream = await startUpstream(t)
  const closes: Array<{ finished: boolean }> = []
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'application/octet-stream' })
    response.on('close', () => { closes.push({ finished: response.writableFinished }) })
    const chunk = Buffer.alloc(64 * 1024, 1)
    let sent = 0
    const pump = (): void => {
      while (sent < 16_384 && !response.destroyed) {
        sent++
        if (!response.write(chunk)) {
          response.once('drain', pump)
          return
        }
      }
      response.end()
    }
    pump()
  })
  // idleTimeout far away: the reader never stops for long, it only reads slowly.
  const gateway = await startGateway(t, {
    server: { idleTimeout: '60s', minBodyRate: { bytesPerSecond: 256 * 1024, grace: '1s' } },
    routes: [{ prefix: '/files', upstream: upstream.url, auth: 'none', timeout: '30s' }]
  })
  const socket = connect(gateway.port, '127.0.0.1')
  t.teardown(() => { socket.destroy() })
  socket.on('error', () => { /* a reset after the gateway closed */ })
  let closed = false
  socket.on('close', () => { closed = true })
  socket.write('GET /files/big HTTP/1.1\r\nHost: gateway.test\r\n\r\n')
  // 8 KiB every 100 ms (80 KiB/s): steady, never idle, below the rate.
  let received = 0
  const reader = setInterval(() => {
    const chunk = socket.read(8 * 1024) as Buffer | null
    if (chunk !== null) received += chunk.length
  }, 100)
  t.teardown(() => { clearInterval(reader) })
  t.ok(await eventually(() => received > 0, 5000), 'the response started')
  t.ok(await eventually(() => closes.length === 1, 15_000), 'the upstream response was closed')
  t.same(closes, [{ finished: false }], 'aborted before its end')
  // What the client has not read yet is still in its buffers: take it all, then the close shows.
  clearInterval(reader)
  socket.resume()
  t.ok(await eventually(() => closed, 5000), 'the slow reader was disconnected')
})

t.test('maxConcurrent: a client gone from the queue leaves room in it; waiting requests get 503 when the gateway closes', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((request, response) => {
    request.resume()
    response.writeHead(200, { 'content-type': 'text/plain' })
    response.write('streaming\n')
    const tick = setInterval(() => { if (response.destroyed) clearInterval(tick); else response.write('.') }, 100)
  })
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/q', upstream: upstream.url, auth: 'none', timeout: '1s', maxConcurrent: 1 },
      { prefix: '/c', upstream: upstream.url, auth: 'none', timeout: '30s', maxConcurrent: 1 }
    ]
  })
  const get = (path: string): RawClient => rawClient(t, gateway.port, `GET ${path} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`)
  const holder = get('/q/hold')
  t.ok(await eventually(() => holder.text().includes('streaming'), 5000), 'the only slot of /q is taken')
  const quitter = get('/q/quitter')
  t.ok(await waitForLoad(gateway.origin, '/q', (load) => load.queued === 1), 'the quitter waits')
  quitter.socket.destroy()
  await quitter.closed
  const waiter = get('/q/waiter')
  t.ok(await eventually(() => waiter.text().startsWith('HTTP/1.1 '), 5000), 'the waiter was answered')
  t.match(waiter.text(), /^HTTP\/1\.1 504 /, 'the place of the client that left was free: it waited (504), not refused (503)')

  const streaming = get('/c/hold')
  t.ok(await eventually(() => streaming.text().includes('streaming'), 5000), 'the only slot of /c is taken')
  const waiting = get('/c/waiting')
  t.ok(await waitForLoad(gateway.origin, '/c', (load) => load.queued === 1), 'a request waits on /c')
  // Closing waits for the streams in progress; the waiting request is told at once rather than left to its timeout.
  const closing = gateway.app.close()
  t.ok(await eventually(() => waiting.text().startsWith('HTTP/1.1 '), 5000), 'the waiting request was answered at close')
  t.match(waiting.text(), /^HTTP\/1\.1 503 /)
  holder.socket.destroy()
  streaming.socket.destroy()
  await closing
})

t.test('Expect: 100-continue on /auth/*: a body announced over the limit gets 413 at once, never an invitation', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }] })
  const login = rawClient(t, gateway.port, [
    'POST /auth/login HTTP/1.1', 'Host: gateway.test', 'Content-Type: application/json', 'Content-Length: 50000000', 'Expect: 100-continue', '', ''
  ].join('\r\n'))
  t.ok(await eventually(() => login.text().startsWith('HTTP/1.1 '), 5000), 'answered')
  t.match(login.text(), /^HTTP\/1\.1 413 /, 'the refusal is the first and only answer')
  t.notMatch(login.text(), /100 Continue/)
  t.ok(await eventually(() => login.isClosed(), 5000), 'and the connection is closed rather than the body read')
})
