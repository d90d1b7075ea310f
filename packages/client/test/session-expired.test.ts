// A refused refresh ends the session: onSessionExpired exactly once per expiry, and no refresh loops.
import t from 'tap'
import { MAX_UNPRODUCTIVE_REFRESHES } from '../src/index.js'
import { PASSWORD, USER } from './helpers/contract-server.js'
import { loggedIn } from './helpers/setup.js'

t.test('a failing refresh produces exactly one onSessionExpired for 20 waiting requests', async (t) => {
  const expiries: unknown[] = []
  const events: unknown[] = []
  const { server, client } = await loggedIn(t, { onSessionExpired: (e) => expiries.push(e) })
  client.on('sessionExpired', (e) => events.push(e))
  server.expireAccessTokens()
  server.refreshMode = 'refuse'
  server.refreshDelayMs = 100
  const responses = await Promise.all(Array.from({ length: 20 }, () => client.fetch('/api/data')))

  t.same(responses.map((r) => r.status), Array(20).fill(401), 'the original 401s are returned')
  t.equal(server.count('POST', '/auth/refresh'), 1)
  t.same(expiries, [{ status: 401, code: 'AUTH_REFRESH_INVALID' }])
  t.equal(events.length, 1, 'the sessionExpired event fires once too')
  t.equal(client.accessToken, null, 'the dead token is forgotten')

  // Later calls go out without a token and do not try to refresh again.
  const later = await client.fetch('/api/data')
  t.equal(later.status, 401)
  t.equal(server.count('POST', '/auth/refresh'), 1, 'no refresh loop after expiry')
  t.equal(server.requests.at(-1)?.authorization, undefined)
  t.equal(expiries.length, 1)

  // A new login starts a new session, whose expiry is reported again.
  server.refreshMode = 'ok'
  await client.login(USER.email, PASSWORD)
  t.equal((await client.fetch('/api/data')).status, 200)
  server.expireAccessTokens()
  server.refreshMode = 'refuse'
  await client.fetch('/api/data')
  t.equal(expiries.length, 2, 'once per expiry')
})

t.test('refreshes that keep yielding refused tokens stop after the cap and end the session', async (t) => {
  let expiries = 0
  const { server, client } = await loggedIn(t, { onSessionExpired: () => { expiries++ } })
  server.expireAccessTokens()
  server.issueDeadTokens = true
  for (let i = 0; i < MAX_UNPRODUCTIVE_REFRESHES + 3; i++) {
    t.equal((await client.fetch('/api/data')).status, 401)
  }
  t.equal(server.count('POST', '/auth/refresh'), MAX_UNPRODUCTIVE_REFRESHES, 'refreshing stops once it does not help')
  t.equal(expiries, 1)
})

t.test('a refresh endpoint that is down is not a logout', async (t) => {
  let expiries = 0
  const { server, client } = await loggedIn(t, { onSessionExpired: () => { expiries++ } })
  server.expireAccessTokens()
  server.refreshMode = 'unavailable'
  const response = await client.fetch('/api/data')
  t.equal(response.status, 401, 'the 401 is returned')
  t.equal(expiries, 0, 'no session expiry on a 503')
  t.not(client.accessToken, null)
  server.refreshMode = 'ok'
  t.equal((await client.fetch('/api/data')).status, 200, 'recovers once the endpoint is back')
})

t.test('a refresh answering 403 AUTH_USER_DISABLED ends the session like a 401; another 403 does not', async (t) => {
  const expiries: unknown[] = []
  const { server, client } = await loggedIn(t, { onSessionExpired: (e) => expiries.push(e) })
  server.expireAccessTokens()
  server.refreshMode = 'forbidden'
  t.equal((await client.fetch('/api/data')).status, 401)
  t.same(expiries, [], 'an origin refusal (403 AUTH_CROSS_SITE) is not a logout')
  t.not(client.accessToken, null)

  server.refreshMode = 'disabled'
  for (let i = 0; i < MAX_UNPRODUCTIVE_REFRESHES + 3; i++) t.equal((await client.fetch('/api/data')).status, 401)
  t.same(expiries, [{ status: 403, code: 'AUTH_USER_DISABLED' }], 'the disabled account\'s session ended, once')
  t.equal(client.accessToken, null, 'the token is forgotten')
  t.equal(server.count('POST', '/auth/refresh'), 2, 'one refresh per refusal, then none: no retry loop')
})
