// Proactive refresh: shortly before expiry, a request refreshes first instead of collecting a 401.
import t from 'tap'
import { loggedIn } from './helpers/setup.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('a request made inside the skew window refreshes before it is sent', async (t) => {
  // 2 s tokens, 30 s skew capped to half the lifetime: due after 1 s.
  const { server, client } = await loggedIn(t, { refreshSkewSeconds: 30 })
  server.accessTtlSeconds = 2
  await client.refresh()
  t.equal((await client.fetch('/api/data')).status, 200)
  t.equal(server.count('POST', '/auth/refresh'), 1, 'no refresh while the token is young')
  await sleep(1100)
  t.equal((await client.fetch('/api/data')).status, 200)
  t.equal(server.count('POST', '/auth/refresh'), 2, 'refreshed first')
  const refreshIndex = server.requests.findLastIndex((r) => r.path === '/auth/refresh')
  t.equal(server.requests.slice(refreshIndex).filter((r) => r.path === '/api/data').length, 1, 'and the request was sent once, with no 401')
})

t.test('with proactiveRefresh off, the same request collects a 401 and then refreshes', async (t) => {
  const { server, client } = await loggedIn(t, { proactiveRefresh: false })
  server.accessTtlSeconds = 2
  await client.refresh()
  await sleep(1100)
  server.expireAccessTokens() // the contract server does not check exp itself: expire explicitly
  t.equal((await client.fetch('/api/data')).status, 200)
  t.equal(server.count('POST', '/auth/refresh'), 2)
  t.equal(server.count('GET', '/api/data'), 2, 'a 401, then the retry')
})
