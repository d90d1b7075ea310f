// On a token 401, one refresh is shared by every request waiting on it, and each request is retried once.
import t from 'tap'
import { loggedIn } from './helpers/setup.js'

t.test('20 parallel calls that all hit 401 produce exactly one refresh, then all succeed', async (t) => {
  const { server, client } = await loggedIn(t)
  const before = client.accessToken
  server.expireAccessTokens()
  // Hold the refresh so that every request's 401 arrives while it is in flight.
  server.refreshDelayMs = 150
  const responses = await Promise.all(Array.from({ length: 20 }, () => client.fetch('/api/data')))

  t.same(responses.map((r) => r.status), Array(20).fill(200))
  t.equal(server.count('POST', '/auth/refresh'), 1, 'one refresh for twenty 401s')
  t.equal(server.count('GET', '/api/data'), 40, 'each request sent twice: the 401 and one retry')
  t.not(client.accessToken, before, 'the token was replaced')
  const tokens = server.requests.filter((r) => r.path === '/api/data').map((r) => r.authorization)
  t.equal(tokens.filter((a) => a === `Bearer ${before ?? ''}`).length, 20, 'twenty attempts with the expired token')
  t.equal(tokens.filter((a) => a === `Bearer ${client.accessToken ?? ''}`).length, 20, 'twenty retries with the new one')
})

t.test('a 401 arriving after the refresh finished reuses the new token instead of refreshing again', async (t) => {
  const { server, client } = await loggedIn(t)
  server.expireAccessTokens()
  // Both go out with the old token; /api/slow answers its 401 200 ms later, after /api/data's refresh is over.
  const slow = client.fetch('/api/slow')
  const fast = await client.fetch('/api/data')
  t.equal(fast.status, 200)
  t.equal(server.count('POST', '/auth/refresh'), 1)
  t.equal((await slow).status, 200, 'the late 401 is retried with the token obtained meanwhile')
  t.equal(server.count('POST', '/auth/refresh'), 1, 'one refresh per expiry, not per request')
  t.equal(server.count('GET', '/api/slow'), 2)
})

t.test('a retried request that is refused again is returned, not refreshed a second time', async (t) => {
  const { server, client } = await loggedIn(t)
  server.expireAccessTokens()
  server.issueDeadTokens = true
  const response = await client.fetch('/api/data')
  t.equal(response.status, 401)
  t.equal(((await response.json()) as { code: string }).code, 'AUTH_TOKEN_EXPIRED')
  t.equal(server.count('POST', '/auth/refresh'), 1)
  t.equal(server.count('GET', '/api/data'), 2, 'sent, then retried once')
})
