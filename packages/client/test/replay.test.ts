// A retried request must carry the same body; a body that cannot be read twice is never resent.
import t from 'tap'
import { loggedIn } from './helpers/setup.js'

t.test('a stream body is not resent: the 401 is returned', async (t) => {
  const { server, client } = await loggedIn(t)
  server.expireAccessTokens()
  const body = new ReadableStream<Uint8Array>({
    start (controller) { controller.enqueue(new TextEncoder().encode('streamed payload')); controller.close() }
  })
  const response = await client.fetch('/api/echo', { method: 'POST', body, duplex: 'half' })
  t.equal(response.status, 401)
  t.equal(((await response.json()) as { code: string }).code, 'AUTH_TOKEN_EXPIRED')
  t.equal(server.count('POST', '/api/echo'), 1, 'sent once, never replayed')
  t.equal(server.count('POST', '/auth/refresh'), 1, 'the token is still refreshed for the next request')
  t.equal((await client.fetch('/api/echo', { method: 'POST', body: 'again' })).status, 200, 'the caller can resend it')
})

t.test('a string body is replayed identically', async (t) => {
  const { server, client } = await loggedIn(t)
  server.expireAccessTokens()
  const response = await client.fetch('/api/echo', { method: 'POST', body: '{"n":42}', headers: { 'content-type': 'application/json' } })
  t.equal(response.status, 200)
  t.same(await response.json(), { body: '{"n":42}' })
  t.same(server.requests.filter((r) => r.path === '/api/echo').map((r) => r.body), ['{"n":42}', '{"n":42}'])
})

t.test('a Request object with a body is replayed from a clone', async (t) => {
  const { server, client } = await loggedIn(t)
  server.expireAccessTokens()
  const request = new Request(`${server.url}/api/echo`, { method: 'POST', body: 'from a Request', headers: { 'x-extra': 'kept' } })
  const response = await client.fetch(request)
  t.equal(response.status, 200)
  t.same(await response.json(), { body: 'from a Request' })
  t.equal(server.count('POST', '/api/echo'), 2)
})
