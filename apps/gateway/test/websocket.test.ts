// WebSockets (B.35): proxied only on `websocket: true` routes, authenticated at the upgrade with the route's
// policy (no token → 401 and no upstream socket), the verified identity in the upstream handshake, forged
// identity headers dropped, and upgrades outside a WebSocket prefix refused.
import t from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { rawRequest, startGateway, startUpstream, waitForLoad, type TeardownHost } from './helpers.js'

async function startWsUpstream (t: TeardownHost) {
  const handshakes: Array<{ url: string, headers: IncomingHttpHeaders }> = []
  const server = createServer((_request, response) => { response.end('http') })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (socket, request) => {
    handshakes.push({ url: request.url ?? '', headers: request.headers })
    socket.on('message', (data) => { socket.send(`echo:${(data as Buffer).toString()}`) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => { resolve() })
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handshakes }
}

async function setup (t: TeardownHost, tokens?: Record<string, unknown>) {
  const wsUpstream = await startWsUpstream(t)
  const httpUpstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    ...(tokens === undefined ? {} : { tokens }),
    routes: [
      { prefix: '/ws', upstream: wsUpstream.url, auth: 'required', websocket: true, rewritePrefix: '/' },
      { prefix: '/api', upstream: httpUpstream.url, auth: 'required' },
      { prefix: '/public', upstream: httpUpstream.url, auth: 'none' }
    ]
  })
  return { wsUpstream, httpUpstream, gateway }
}

function open (url: string, headers: Record<string, string> = {}): Promise<{ socket?: WebSocket, status?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers })
    socket.once('open', () => { resolve({ socket }) })
    socket.once('unexpected-response', (_request, response) => { resolve({ status: response.statusCode ?? 0 }) })
    socket.once('error', () => { resolve({ status: -1 }) })
  })
}

function upgrade (path: string, extra: string[] = []): string {
  return [`GET ${path} HTTP/1.1`, 'Host: gw', 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...extra, '', ''].join('\r\n')
}

t.test('without a token the upgrade gets 401 and no upstream socket is opened', async (t) => {
  const { wsUpstream, gateway } = await setup(t)
  const outcome = await open(`ws://127.0.0.1:${gateway.port}/ws/chat`)
  t.equal(outcome.status, 401)
  const raw = await rawRequest(gateway.port, upgrade('/ws/chat', ['X-User-Id: admin']))
  t.equal(raw.status, 401)
  t.match(raw.body, /AUTH_TOKEN_MISSING/)
  const bad = await open(`ws://127.0.0.1:${gateway.port}/ws/chat`, { authorization: 'Bearer nope.nope.nope' })
  t.equal(bad.status, 401)
  t.equal(wsUpstream.handshakes.length, 0)
})

t.test('with a token: proxied, identity in the upstream handshake, forged headers dropped, prefix rewritten', async (t) => {
  const { wsUpstream, gateway } = await setup(t)
  const token = gateway.token('u1', ['user'], 'ws-session')
  const { socket } = await open(`ws://127.0.0.1:${gateway.port}/ws/chat?room=1`, { authorization: `Bearer ${token}`, 'x-user-id': 'admin', 'x-user-roles': 'admin', cookie: 'authgate_rt=secret; theme=dark' })
  t.ok(socket, 'connected')
  t.teardown(() => socket?.terminate())
  const reply = await new Promise<string>((resolve) => {
    socket?.once('message', (data) => { resolve((data as Buffer).toString()) })
    socket?.send('hello')
  })
  t.equal(reply, 'echo:hello')
  t.equal(wsUpstream.handshakes.length, 1)
  const { url, headers } = wsUpstream.handshakes[0]!
  t.equal(url, '/chat?room=1')
  t.equal(headers['x-user-id'], 'u1')
  t.equal(headers['x-user-roles'], 'user')
  t.equal(headers['x-session-id'], 'ws-session')
  t.ok(headers['x-authgate-assertion'])
  t.equal(headers.cookie, 'theme=dark')
  t.equal(headers.authorization, undefined)
})

t.test('upgrades outside a WebSocket route are refused and never proxied', async (t) => {
  const { wsUpstream, httpUpstream, gateway } = await setup(t)
  const token = gateway.token('u1')
  t.equal((await rawRequest(gateway.port, upgrade('/api/socket', [`Authorization: Bearer ${token}`]))).status, 400, 'a non-WebSocket route')
  t.equal((await rawRequest(gateway.port, upgrade('/public/socket'))).status, 400, 'a public non-WebSocket route')
  t.equal((await rawRequest(gateway.port, upgrade('/elsewhere'))).status, 404, 'no route')
  t.equal((await rawRequest(gateway.port, upgrade('/ws/../api/x', [`Authorization: Bearer ${token}`]))).status, 400, 'a traversal out of the prefix')
  t.equal(wsUpstream.handshakes.length, 0)
  t.equal(httpUpstream.seen.length, 0)
})

t.test('the connection is closed with 4401 when the token that opened it expires', async (t) => {
  const { gateway } = await setup(t, { accessTtl: '2s', clockTolerance: '0s' })
  const { socket } = await open(`ws://127.0.0.1:${gateway.port}/ws/chat`, { authorization: `Bearer ${gateway.token('u1')}` })
  t.ok(socket, 'connected')
  const started = Date.now()
  const code = await new Promise<number>((resolve) => socket?.once('close', (closeCode) => { resolve(closeCode) }))
  t.equal(code, 4401)
  t.ok(Date.now() - started < 3500, 'closed at expiry')
})

t.test('B.36: an upstream that refuses the WebSocket closes the client with a generic reason, not its address', async (t) => {
  const wsUpstream = await startWsUpstream(t)
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const deadPort = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => { resolve() }))
  const gateway = await startGateway(t, {
    routes: [
      { prefix: '/down', upstream: `http://127.0.0.1:${deadPort}`, auth: 'required', websocket: true },
      { prefix: '/ws', upstream: wsUpstream.url, auth: 'required', websocket: true, rewritePrefix: '/' }
    ]
  })
  const token = gateway.token('u1')
  const { socket } = await open(`ws://127.0.0.1:${gateway.port}/down/chat`, { authorization: `Bearer ${token}` })
  t.ok(socket, 'the client side was upgraded before the upstream failed')
  const [code, reason] = await new Promise<[number, string]>((resolve) => socket?.once('close', (closeCode, closeReason) => { resolve([closeCode, closeReason.toString()]) }))
  t.equal(code, 1011)
  t.equal(reason, 'upstream unavailable')
  t.notMatch(reason, /127\.0\.0\.1|ECONNREFUSED|\d{4,5}/)
  // The gateway is still up and proxying.
  const { socket: again } = await open(`ws://127.0.0.1:${gateway.port}/ws/chat`, { authorization: `Bearer ${token}` })
  t.ok(again, 'still serving')
  again?.terminate()
})

t.test('client sockets never throw on a close reason longer than a close frame holds', async (t) => {
  const { createClientWebSocketClass } = await import('../src/ws-close.js')
  const warnings: unknown[] = []
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', WebSocket: createClientWebSocketClass({ warn: (object) => { warnings.push(object) } }) })
  t.teardown(() => new Promise<void>((resolve) => { server.close(() => { resolve() }) }))
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  const cases: Array<[number, string, string]> = [
    [1011, `connect ECONNREFUSED 127.0.0.1:3002 ${'x'.repeat(200)}`, 'upstream unavailable'],
    [4000, 'y'.repeat(200), ''],
    [4001, 'short and fine', 'short and fine']
  ]
  for (const [sentCode, sentReason, expected] of cases) {
    server.once('connection', (socket) => {
      // Before the fix ws threw RangeError here (inside http-proxy's 'error' listener: a process crash).
      t.doesNotThrow(() => { socket.close(sentCode, sentReason) })
    })
    const client = new WebSocket(url)
    const [code, reason] = await new Promise<[number, string]>((resolve) => client.once('close', (closeCode, closeReason) => { resolve([closeCode, closeReason.toString()]) }))
    t.equal(code, sentCode)
    t.equal(reason, expected)
  }
  t.equal(warnings.length, 2, 'the replaced reasons are logged for the operator')
})

/** A WebSocket upstream that completes each upgrade only after `delayMs`; records its sockets' closes. */
async function startSlowWsUpstream (t: TeardownHost, delayMs: number) {
  const server = createServer((_request, response) => { response.end('http') })
  const wss = new WebSocketServer({ noServer: true })
  const connections: Array<{ closed: Promise<void> }> = []
  server.on('upgrade', (request, socket, head) => {
    setTimeout(() => {
      wss.handleUpgrade(request, socket, head, (upstreamSocket) => {
        connections.push({ closed: new Promise((resolve) => { upstreamSocket.once('close', () => { resolve() }) }) })
      })
    }, delayMs)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => { resolve() })
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections }
}

t.test('a client gone before a slow upstream accepts leaves no upstream socket relaying its identity', async (t) => {
  const upstream = await startSlowWsUpstream(t, 300)
  const gateway = await startGateway(t, { routes: [{ prefix: '/ws', upstream: upstream.url, auth: 'required', websocket: true, rewritePrefix: '/' }] })
  const { socket } = await open(`ws://127.0.0.1:${gateway.port}/ws/chat`, { authorization: `Bearer ${gateway.token('u1')}` })
  t.ok(socket, 'the client side is upgraded at once')
  await new Promise<void>((resolve) => { socket?.once('close', () => { resolve() }); socket?.close() })
  for (let i = 0; i < 40 && upstream.connections.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(upstream.connections.length, 1, 'the upstream accepted after the client had gone')
  const outcome = await Promise.race([upstream.connections[0]?.closed.then(() => 'closed'), new Promise((resolve) => setTimeout(() => { resolve('open') }, 2000))])
  t.equal(outcome, 'closed', 'and its socket is cut off')
})

t.test('WebSocketExpiry: a socket linked after its client closed is neither timed nor tracked; the upstream is cut', async (t) => {
  const { WebSocketExpiry } = await import('../src/ws-expiry.js')
  const { EventEmitter } = await import('node:events')
  const revocations = { isRevoked: () => false, onRevoked: () => () => {} } as unknown as ConstructorParameters<typeof WebSocketExpiry>[1]
  const logged: unknown[] = []
  const context = { log: { error: (details: object) => { logged.push(details) } } }
  const fake = (readyState: number) => Object.assign(new EventEmitter(), {
    readyState,
    _socket: {},
    closedWith: undefined as number | undefined,
    terminated: false,
    close (code: number) { this.closedWith = code },
    terminate () { this.terminated = true }
  })
  const required = new WebSocketExpiry('required', revocations)
  t.teardown(() => { required.stop() })
  const exp = Math.floor(Date.now() / 1000) + 60

  const live = fake(WebSocket.OPEN)
  const liveTarget = fake(WebSocket.OPEN)
  required.note(live._socket as never, { exp, sid: 's1', iss: 'authgate', sub: 'u1', iat: exp - 60 })
  required.onConnect(context, live as unknown as WebSocket, liveTarget as unknown as WebSocket)
  t.equal(required.tracked, 1, 'an open client socket is tracked')
  live.emit('close')
  t.equal(required.tracked, 0, 'and forgotten at its close')

  const gone = fake(WebSocket.CLOSED)
  const goneTarget = fake(WebSocket.OPEN)
  required.note(gone._socket as never, { exp, sid: 's2', iss: 'authgate', sub: 'u2', iat: exp - 60 })
  required.onConnect(context, gone as unknown as WebSocket, goneTarget as unknown as WebSocket)
  t.equal(required.tracked, 0, 'a client already closed is not tracked')
  t.ok(goneTarget.terminated, 'its upstream socket is terminated')

  const unadmitted = fake(WebSocket.OPEN)
  const unadmittedTarget = fake(WebSocket.OPEN)
  required.onConnect(context, unadmitted as unknown as WebSocket, unadmittedTarget as unknown as WebSocket)
  t.equal(unadmitted.closedWith, 1011, 'on a required route, a socket with no recorded admission is closed 1011')
  t.ok(unadmittedTarget.terminated, 'with its upstream')
  t.equal(logged.length, 1, 'and logged')

  const optional = new WebSocketExpiry('optional', revocations)
  t.teardown(() => { optional.stop() })
  const anonymous = fake(WebSocket.OPEN)
  optional.onConnect(context, anonymous as unknown as WebSocket, fake(WebSocket.OPEN) as unknown as WebSocket)
  t.equal(anonymous.closedWith, undefined, 'an anonymous socket on an optional route is relayed')
})

t.test('maxConcurrent holds for WebSockets: a connection keeps its route slot until it closes', async (t) => {
  const wsUpstream = await startWsUpstream(t)
  const gateway = await startGateway(t, {
    routes: [{ prefix: '/ws', upstream: wsUpstream.url, auth: 'none', websocket: true, rewritePrefix: '/', timeout: '1s', maxConcurrent: 1 }]
  })
  const first = await open(`ws://127.0.0.1:${gateway.port}/ws/a`)
  t.ok(first.socket !== undefined, 'the first connection is proxied')
  t.ok(await waitForLoad(gateway.origin, '/ws', (load) => load.active === 1), 'the connection holds the slot')
  const waiting = open(`ws://127.0.0.1:${gateway.port}/ws/b`)
  t.ok(await waitForLoad(gateway.origin, '/ws', (load) => load.queued === 1), 'the second upgrade waits')
  // The second waits for the only slot (504 when the route timeout runs out); a third finds the queue full.
  const third = await open(`ws://127.0.0.1:${gateway.port}/ws/c`)
  t.equal(third.status, 503, 'slot and queue taken: 503')
  t.equal((await waiting).status, 504, 'the waiting upgrade timed out')
  t.equal(wsUpstream.handshakes.length, 1, 'only one upstream WebSocket was opened')
  const closed = new Promise<void>((resolve) => { first.socket?.once('close', () => { resolve() }) })
  first.socket?.close()
  await closed
  t.ok(await waitForLoad(gateway.origin, '/ws', (load) => load.active === 0), 'the slot is given back')
  const next = await open(`ws://127.0.0.1:${gateway.port}/ws/d`)
  t.ok(next.socket !== undefined, 'once the first closed, its slot is free again')
  next.socket?.close()
})
