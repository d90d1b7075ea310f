// `users: { source: upstream }` (a legacy login owns the users) and `notifications.newDeviceWebhook`, through the
// real plugin's /auth/login: mapped ids reach the upstream as x-user-id; wrong credentials are 401; an unreachable
// or slow legacy login is 503; the webhook gets the new-device event, is retried, and never delays a login.
import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startGateway, startUpstream, type TeardownHost } from './helpers.js'

async function jsonServer (t: TeardownHost, handler: (body: Record<string, unknown>, request: IncomingMessage, response: ServerResponse) => void) {
  const server = createServer((request, response) => {
    let text = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => { text += chunk })
    request.on('end', () => { handler(JSON.parse(text || '{}') as Record<string, unknown>, request, response) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function login (origin: string, email: string, password: string): Promise<Response> {
  return fetch(`${origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
}

t.test('a legacy login names the user; the id and roles it maps reach the upstream', async (t) => {
  const received: Array<Record<string, unknown>> = []
  const legacy = await jsonServer(t, (body, request, response) => {
    received.push(body)
    if (request.url !== '/login') { response.writeHead(404).end(); return }
    if (body.password === 'legacy-password-1') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: { id: 7, groups: ['admin', 'bad,role'] } }))
      return
    }
    response.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"nope"}')
  })
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    users: { source: 'upstream', url: `${legacy}/login`, map: { id: 'user.id', roles: 'user.groups' } },
    routes: [{ prefix: '/admin', upstream: upstream.url, auth: 'required', roles: ['admin'] }]
  })
  const ok = await login(gateway.origin, 'Old@Example.com', 'legacy-password-1')
  t.equal(ok.status, 200)
  const { accessToken } = await ok.json() as { accessToken: string }
  t.match(received[0], { email: 'Old@Example.com', password: 'legacy-password-1' })
  const call = await fetch(`${gateway.origin}/admin/panel`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(call.status, 200)
  t.equal(upstream.seen[0]?.headers['x-user-id'], '7')
  t.equal(upstream.seen[0]?.headers['x-user-roles'], 'admin', 'a role that would break the header is dropped')

  const wrong = await login(gateway.origin, 'old@example.com', 'wrong-password')
  t.equal(wrong.status, 401)
  t.match(await wrong.json(), { code: 'AUTH_INVALID_CREDENTIALS' })
})

t.test('an unreachable or slow legacy login is 503, not wrong credentials', async (t) => {
  const slow = await jsonServer(t, (_body, _request, response) => { setTimeout(() => { response.end('{"user":{"id":"late"}}') }, 1500) })
  const upstream = await startUpstream(t)
  const down = await startGateway(t, { users: { source: 'upstream', url: 'http://127.0.0.1:1/login', map: { id: 'id' } }, routes: [{ prefix: '/api', upstream: upstream.url }] })
  const refused = await login(down.origin, 'a@example.com', 'whatever-password')
  t.equal(refused.status, 503)
  t.match(await refused.json(), { code: 'AUTH_STORE_UNAVAILABLE' })
  const late = await startGateway(t, { users: { source: 'upstream', url: slow, map: { id: 'user.id' }, timeout: '300ms' }, routes: [{ prefix: '/api', upstream: upstream.url }] })
  const started = Date.now()
  const timedOut = await login(late.origin, 'a@example.com', 'whatever-password')
  t.equal(timedOut.status, 503)
  t.ok(Date.now() - started < 1400, 'answered at the timeout')
})

t.test('newDevice is POSTed to the webhook, retried on failure, and never delays the login', async (t) => {
  const events: Array<Record<string, unknown>> = []
  let attempts = 0
  const hook = await jsonServer(t, (body, _request, response) => {
    attempts++
    if (attempts === 1) { response.writeHead(500).end(); return }
    events.push(body)
    setTimeout(() => { response.writeHead(204).end() }, 200)
  })
  const legacy = await jsonServer(t, (_body, _request, response) => { response.end('{"id":"u-hook"}') })
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    users: { source: 'upstream', url: legacy, map: { id: 'id' } },
    notifications: { newDeviceWebhook: hook },
    routes: [{ prefix: '/api', upstream: upstream.url }]
  })
  const answer = await login(gateway.origin, 'hook@example.com', 'some-password')
  t.equal(answer.status, 200)
  t.equal(events.length, 0, 'the login answered before the webhook was delivered')
  const deadline = Date.now() + 5000
  while (events.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(attempts, 2, 'one failure, one retry')
  t.match(events[0], { type: 'newDevice', userId: 'u-hook', ip: '127.0.0.1' })
  t.notMatch(JSON.stringify(events[0]), /some-password|authgate_rt/, 'no secrets in the event')
})
