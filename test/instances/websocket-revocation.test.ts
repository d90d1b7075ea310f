// Issue #11 item 4: a revoked session keeps no WebSocket. Two gateways on one database (the same keys, the shared
// revocation list each polls every `revocationDelay`), a WebSocket upstream behind them. A socket opened on B with a
// session's access token is closed with 4401 `session revoked` within revocationDelay of that session's revocation on
// A, whichever way it is revoked (logout-all, logout, DELETE /auth/sessions/:id, refresh-token reuse); a socket of
// another session stays open and keeps relaying.
import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import { buildApp, parseConfig } from '@authgate/gateway'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, logout, refresh, sharedKeys, signIn, sleep, type Teardown } from '../faults/helpers/app.js'
import { holdSocket, startEchoWsUpstream, type HeldSocket } from '../security/lib/websocket-session.js'

const { url, name: database } = await useTestDatabase(t, 'wsrevocation')

const REVOCATION_DELAY_MS = 1000
// The poll itself takes a moment (as in two-instances.test.ts): the close must come within the delay plus this.
const POLL_SLACK_MS = 1000

async function startWsUpstream (t: Teardown): Promise<string> {
  const upstream = await startEchoWsUpstream(true)
  t.teardown(upstream.close)
  return upstream.url
}

async function startGateway (t: Teardown, upstream: string, reuseGrace = '10s'): Promise<string> {
  const config = parseConfig({
    store: { mongodb: { url, database } },
    tokens: { keys: sharedKeys(), issuer: 'authgate-faults', audience: 'faults', revocationDelay: `${REVOCATION_DELAY_MS}ms`, reuseGrace },
    cookie: { secure: false },
    auth: { registration: true },
    rateLimit: false,
    routes: [
      { prefix: '/ws', upstream, auth: 'required', websocket: true, rewritePrefix: '/' },
      { prefix: '/open', upstream, auth: 'optional', websocket: true, rewritePrefix: '/' }
    ]
  }, { file: 'ws-revocation' })
  const app = await buildApp(config, { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

async function openSocket (t: Teardown, base: string, token: string, path = '/ws/chat'): Promise<HeldSocket> {
  const held = await holdSocket(base, path, token)
  t.teardown(() => { held.socket.terminate() })
  return held
}

function echo (socket: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('message', (data) => { resolve((data as Buffer).toString()) })
    socket.send(text)
  })
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
  const outcome = await victim.closeWithin(REVOCATION_DELAY_MS + POLL_SLACK_MS + 3000)
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
  const outcome = await socket.closeWithin(REVOCATION_DELAY_MS + POLL_SLACK_MS + 3000)
  t.not(outcome, 'open')
  if (outcome === 'open') return
  t.same({ code: outcome.code, reason: outcome.reason }, { code: 4401, reason: 'session revoked' })
  t.ok(outcome.at - revokedAt <= REVOCATION_DELAY_MS + POLL_SLACK_MS, `within revocationDelay (${outcome.at - revokedAt} ms)`)
})

t.test("DELETE /auth/sessions?others=true on A closes the user's other session's WebSocket on B, not the caller's", async (t) => {
  const upstream = await startWsUpstream(t)
  const a = await startGateway(t, upstream)
  const b = await startGateway(t, upstream)
  const email = nextEmail()
  const caller = await signIn(a, email)
  const other = await signIn(a, email, false)
  const callerSocket = await openSocket(t, b, caller.at)
  const otherSocket = await openSocket(t, b, other.at)
  t.equal((await call(a, '/auth/sessions?others=true', { method: 'DELETE', bearer: caller.at })).status, 204)
  const outcome = await otherSocket.closeWithin(REVOCATION_DELAY_MS + POLL_SLACK_MS + 3000)
  t.not(outcome, 'open', "the other session's socket is closed")
  if (outcome !== 'open') t.same({ code: outcome.code, reason: outcome.reason }, { code: 4401, reason: 'session revoked' })
  t.equal(callerSocket.socket.readyState, WebSocket.OPEN, "the caller's own socket stays open")
  t.equal(await echo(callerSocket.socket, 'still'), `${caller.sid}:still`, 'and keeps relaying as the caller')
})

t.test('a WebSocket opened with a token on an auth: optional route closes too when its session is revoked', async (t) => {
  const upstream = await startWsUpstream(t)
  const a = await startGateway(t, upstream)
  const b = await startGateway(t, upstream)
  const user = await signIn(a, nextEmail())
  const socket = await openSocket(t, b, user.at, '/open/chat')
  t.equal(await echo(socket.socket, 'hi'), `${user.sid}:hi`, 'relayed with the identity')
  t.equal((await call(a, '/auth/logout-all', { method: 'POST', bearer: user.at })).status, 204)
  const outcome = await socket.closeWithin(REVOCATION_DELAY_MS + POLL_SLACK_MS + 3000)
  t.not(outcome, 'open', 'the socket is closed')
  if (outcome !== 'open') t.same({ code: outcome.code, reason: outcome.reason }, { code: 4401, reason: 'session revoked' })
})
