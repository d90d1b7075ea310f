// Issue #14 item 1, WebSockets: a socket opened with a trusted external issuer's token has no session; it is tracked
// by its issuer-qualified subject. Two gateways on one database trust two real issuers on loopback; the external
// user's logout-all on A closes that user's sockets on B with 4401 within revocationDelay, and only those: another
// user of the same issuer, the same sub at the other issuer, and a socket opened with a token issued after the
// revocation stay open and keep relaying.
import t from 'tap'
import type { AddressInfo } from 'node:net'
import WebSocket from 'ws'
import { buildApp, parseConfig } from '@authgate/gateway'
import { useTestDatabase } from '@authgate/test-kit/database'
import { call, sharedKeys, sleep, type Teardown } from '../faults/helpers/app.js'
import { holdSocket, startEchoWsUpstream, type HeldSocket } from '../security/lib/websocket-session.js'
import { startExternalIssuer, type ExternalIssuer } from '../security/lib/external-issuer.js'

const { url, name: database } = await useTestDatabase(t, 'wssubjects')

const REVOCATION_DELAY_MS = 1000
const POLL_SLACK_MS = 1000
const AUDIENCE = 'faults'

async function startGateway (t: Teardown, upstream: string, issuers: readonly ExternalIssuer[]): Promise<string> {
  const config = parseConfig({
    store: { mongodb: { url, database } },
    tokens: {
      keys: sharedKeys(),
      issuer: 'authgate-faults',
      audience: AUDIENCE,
      revocationDelay: `${REVOCATION_DELAY_MS}ms`,
      trustedIssuers: issuers.map((issuer) => ({ issuer: issuer.issuer, jwksUrl: issuer.jwksUrl, audience: AUDIENCE, algorithms: ['RS256'] }))
    },
    cookie: { secure: false },
    rateLimit: false,
    routes: [{ prefix: '/ws', upstream, auth: 'required', websocket: true, rewritePrefix: '/' }]
  }, { file: 'ws-subject-revocation' })
  const app = await buildApp(config, { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** Opens a socket, retrying past the 503 of an issuer whose JWKS the gateway is still fetching (bounded). */
async function openSocket (t: Teardown, base: string, token: string): Promise<HeldSocket> {
  let lastError: unknown
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const held = await holdSocket(base, '/ws/chat', token)
      t.teardown(() => { held.socket.terminate() })
      return held
    } catch (error) {
      lastError = error
      if ((error as Error).message !== 'upgrade answered 503') throw error
      await sleep(50)
    }
  }
  throw lastError
}

function echo (socket: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('message', (data) => { resolve((data as Buffer).toString()) })
    socket.send(text)
  })
}

t.test('an external user\'s logout-all on A closes exactly that user\'s sockets on B with 4401', async (t) => {
  const upstream = await startEchoWsUpstream()
  t.teardown(upstream.close)
  const idp = await startExternalIssuer(t, { path: '/realms/main', audience: AUDIENCE })
  idp.addKey('RS256')
  const other = await startExternalIssuer(t, { path: '/realms/other', audience: AUDIENCE })
  other.addKey('RS256')
  const a = await startGateway(t, upstream.url, [idp, other])
  const b = await startGateway(t, upstream.url, [idp, other])

  const alice = await idp.sign({ sub: 'alice' })
  const victim = await openSocket(t, b, alice)
  const victimToo = await openSocket(t, b, await idp.sign({ sub: 'alice', jti: 'second-device' }))
  const bob = await openSocket(t, b, await idp.sign({ sub: 'bob' }))
  const aliceElsewhere = await openSocket(t, b, await other.sign({ sub: 'alice' }))
  t.equal(await echo(victim.socket, 'before'), 'before', 'relays before the revocation')

  // The sockets above were opened with tokens of this second or earlier; the fresh one below, a second later.
  await sleep(1100)
  const revokedAt = Date.now()
  t.equal((await call(a, '/auth/logout-all', { method: 'POST', bearer: alice })).status, 204)
  for (const held of [victim, victimToo]) {
    const outcome = await held.closeWithin(REVOCATION_DELAY_MS + POLL_SLACK_MS + 3000)
    t.not(outcome, 'open', 'the user\'s socket is closed')
    if (outcome === 'open') return
    t.same({ code: outcome.code, reason: outcome.reason }, { code: 4401, reason: 'session revoked' })
    t.ok(outcome.at - revokedAt <= REVOCATION_DELAY_MS + POLL_SLACK_MS, `within revocationDelay (${outcome.at - revokedAt} ms)`)
  }
  for (const [name, held] of [['another user of the issuer', bob], ['the same sub at another issuer', aliceElsewhere]] as const) {
    t.equal(held.socket.readyState, WebSocket.OPEN, `${name}: open`)
    t.equal(await echo(held.socket, 'after'), 'after', `${name}: relaying`)
  }
  const refused = await holdSocket(b, '/ws/chat', alice).then(() => 'opened', (error: unknown) => (error as Error).message)
  t.equal(refused, 'upgrade answered 401', 'the revoked token opens no new socket')

  await sleep(1100)
  const fresh = await openSocket(t, b, await idp.sign({ sub: 'alice' }))
  t.equal(fresh.socket.readyState, WebSocket.OPEN, 'a socket of a token issued after the revocation stays open')
  t.equal(await echo(fresh.socket, 'new'), 'new')
})
