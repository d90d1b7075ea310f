// The token goes only to the gateway's origin, cookies only to the auth prefix.
import t from 'tap'
import { loggedIn, serverFor } from './helpers/setup.js'

t.test('the Bearer token is never sent to another origin', async (t) => {
  const { client } = await loggedIn(t)
  const elsewhere = await serverFor(t)
  const response = await client.fetch(`${elsewhere.url}/api/data`)
  t.equal(response.status, 401)
  t.equal(elsewhere.requests[0]?.authorization, undefined)
  t.equal(elsewhere.requests[0]?.cookie, undefined)
})

t.test('the refresh cookie goes to the auth prefix only', async (t) => {
  const { server, client } = await loggedIn(t)
  await client.fetch('/api/data')
  await client.me()
  t.equal(server.requests.find((r) => r.path === '/api/data')?.cookie, undefined, 'not sent to /api')
  t.match(server.requests.find((r) => r.path === '/auth/me')?.cookie, /authgate_rt=/, 'sent to /auth/*')
})

t.test('a caller-supplied Authorization header is respected and never refreshed', async (t) => {
  const { server, client } = await loggedIn(t)
  const response = await client.fetch('/api/data', { headers: { authorization: 'Bearer someone-else' } })
  t.equal(response.status, 401)
  t.equal(server.requests.at(-1)?.authorization, 'Bearer someone-else')
  t.equal(server.count('POST', '/auth/refresh'), 0)
})
