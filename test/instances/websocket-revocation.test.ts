// Issue #11 item 4: a revoked session keeps no WebSocket. Two gateways on one database (the same keys, the shared
// revocation list each polls every `revocationDelay`), a WebSocket upstream behind them. A socket opened on B with a
// session's access token is closed with 4401 `session revoked` within revocationDelay of that session's revocation on
// A, whichever way it is revoked (logout-all, logout, DELETE /auth/sessions/:id, refresh-token reuse); a socket of
// another session stays open and keeps relaying.
import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { buildApp, parseConfig } from '@authgate/gateway'
import { useTestDatabase } from '../mongo/per-test.mjs'
import { call, logout, refresh, sharedKeys, signIn, sleep, type Teardown } from '../faults/helpers/app.js'

const { url, name: database } = await useTestDatabase(t, 'wsrevocation')

const REVOCATION_DELAY_MS = 1000
// The poll itself takes a moment (as in two-instances.test.ts): the close must come within the delay plus this.
const POLL_SLACK_MS = 1000

async function startWsUpstream (t: Teardown): Promise<string> {
  const server = createServer((_request, response) => { response.end('http') })
  const wss = new WebSocketServer({ server })
  wss.on('connection', (socket, request) => {
    socket.on('message', (data) => { socket.send(`${String(request.headers['x-session-id'])}:${(data as Buffer).toString()}`) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const client of wss.clients) client.terminate()
    wss.close()
    server.closeAllConnections()
    server.close(() => { resolve() })
  }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function startGateway (t: Teardown, upstream: string, reuseGrace = '10s'): Promise<string> {
  const config = parseConfig({
    store: { mongodb: { url, database } },
    tokens: { keys: sharedKeys(), issuer: 'authgate-faults', audience: 'faults', revocationDelay: `${REVOCATION_DELAY_MS}ms`, reuseGrace },
    cookie: { secure: false },
    auth: { registration: true },
    rateLimit: false,
    routes: [{ prefix: '/ws', upstream, auth: 'required', websocket: true, rewritePrefix: '/' }]
  }, { file: 'ws-revocation' })
  const app = await buildApp(config, { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

interface Opened { socket: WebSocket, closed: Promise<{ code: number, reason: string, at: number }> }

async function openSocket (t: Teardown, base: string, token: string): Promise<Opened> {
  const socket = new WebSocket(`${base.replace('http:', 'ws:')}/ws/chat`, { headers: { authorization: `Bearer ${token}` } })
  t.teardown(() => { socket.terminate() })
  const closed = new Promise<{ code: number, reason: string, at: number }>((resolve) => {
    socket.once('close', (code, reason) => { resolve({ code, reason: reason.toString(), at: Date.now() }) })
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => { resolve() })
    socket.once('unexpected-response', (_request, response) => { reject(new Error(`upgrade answered ${String(response.statusCode)}`)) })
    socket.once('error', reject)
  })
  return { socket, closed }
}

function echo (socket: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('message', (data) => { resolve((data as Buffer).toString()) })
    socket.send(text)
  })
}

/** Resolves with the close, or `open` when the socket is still open after `ms`. */
async function closeWithin (opened: Opened, ms: number): Promise<{ code: number, reason: string, at: number } | 'open'> {
  return Promise.race([opened.closed, sleep(ms).then(() => 'open' as const)])
}

let users = 0
const nextEmail = (): string => `ws-revoked-${++users}@example.com`

type Revoke = (t: Test, a: string, user: { rt: string, at: string, sid: string }) => Promise<void>

/** A session's socket on B, another session's socket on B, the session revoked on A by `revoke`. */
async function revokedOnAClosesOnB (t: Test, revoke: Revoke, reuseGrace?: string): Promise<void> {
  const upstream = await startWsUpstream(t)
  const a = await startGateway(t, upstream, reuseGrace)
  const b = await startGateway(t, upstream, reuseGrace)
  const user = await signIn(a, nextEmail())
  const bystander = await signIn(a, nextEmail())
  const victim = await openSocket(t, b, user.at)
  const other = await openSocket(t, b, bystander.at)
  t.equal(await echo(victim.socket, 'before'), `${user.sid}:before`, 'relays as the user before the revocation')

  const revokedAt = Date.now()
  await revoke(t, a, user)
  const outcome = await closeWithin(victim, REVOCATION_DELAY_MS + POLL_SLACK_MS + 3000)
  t.not(outcome, 'open', 'the socket is closed')
  if (outcome === 'open') return
  t.equal(outcome.code, 4401)
  t.equal(outcome.reason, 'session revoked')
  const since = outcome.at - revokedAt
  t.ok(since <= REVOCATION_DELAY_MS + POLL_SLACK_MS, `within revocationDelay (${since} ms ≤ ${REVOCATION_DELAY_MS} + ${POLL_SLACK_MS} ms)`)
  t.equal(other.socket.readyState, WebSocket.OPEN, 'another session\'s socket stays open')
  t.equal(await echo(other.socket, 'after'), `${bystander.sid}:after`, 'and keeps relaying')
  const again = await openSocket(t, b, user.at).then(() => 'opened', (error: unknown) => (error as Error).message)
  t.equal(again, 'upgrade answered 401', 'the revoked token cannot open another one')
}

t.test("logout-all on A closes that session's WebSocket on B with 4401 within revocationDelay", async (t) => {
  await revokedOnAClosesOnB(t, async (t, a, user) => { t.equal((await call(a, '/auth/logout-all', { method: 'POST', bearer: user.at })).status, 204) })
})

t.test("logout (refresh cookie) on A closes that session's WebSocket on B with 4401 within revocationDelay", async (t) => {
  await revokedOnAClosesOnB(t, async (t, a, user) => { t.equal((await logout(a, user.rt)).status, 204) })
})

t.test("DELETE /auth/sessions/:id on A closes that session's WebSocket on B with 4401 within revocationDelay", async (t) => {
  await revokedOnAClosesOnB(t, async (t, a, user) => { t.equal((await call(a, `/auth/sessions/${user.sid}`, { method: 'DELETE', bearer: user.at })).status, 204) })
})

t.test("refresh-token reuse detected on A closes that session's WebSocket on B with 4401 within revocationDelay", async (t) => {
  await revokedOnAClosesOnB(t, async (t, a, user) => {
    t.equal((await refresh(a, user.rt)).status, 200, 'a rotation')
    await sleep(400)
    t.equal((await refresh(a, user.rt)).status, 401, 'the retired token, past reuseGrace: the session is revoked')
  }, '200ms')
})

t.test('a socket opened on the revoking instance itself closes too', async (t) => {
  const upstream = await startWsUpstream(t)
  const a = await startGateway(t, upstream)
  const user = await signIn(a, nextEmail())
  const socket = await openSocket(t, a, user.at)
  const revokedAt = Date.now()
  t.equal((await call(a, '/auth/logout-all', { method: 'POST', bearer: user.at })).status, 204)
  const outcome = await closeWithin(socket, REVOCATION_DELAY_MS + POLL_SLACK_MS + 3000)
  t.not(outcome, 'open')
  if (outcome === 'open') return
  t.same({ code: outcome.code, reason: outcome.reason }, { code: 4401, reason: 'session revoked' })
  t.ok(outcome.at - revokedAt <= REVOCATION_DELAY_MS + POLL_SLACK_MS, `within revocationDelay (${outcome.at - revokedAt} ms)`)
})
