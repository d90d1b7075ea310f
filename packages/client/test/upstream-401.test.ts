// Only the gateway's token codes trigger a refresh; an upstream's own 401 is the application's business.
import t from 'tap'
import { loggedIn } from './helpers/setup.js'

t.test('an upstream 401 with another JSON code is returned untouched, without refresh or retry', async (t) => {
  const { server, client } = await loggedIn(t)
  const response = await client.fetch('/api/upstream-401')
  t.equal(response.status, 401)
  t.same(await response.json(), { statusCode: 401, code: 'UPSTREAM_NOT_ALLOWED', error: 'Unauthorized', message: 'upstream says no' }, 'body still readable')
  t.equal(server.count('GET', '/api/upstream-401'), 1, 'not retried')
  t.equal(server.count('POST', '/auth/refresh'), 0, 'not refreshed')
})

t.test('a non-JSON upstream 401 is returned untouched', async (t) => {
  const { server, client } = await loggedIn(t)
  const response = await client.fetch('/api/upstream-401-text')
  t.equal(response.status, 401)
  t.equal(await response.text(), 'upstream says no')
  t.equal(server.count('GET', '/api/upstream-401-text'), 1)
  t.equal(server.count('POST', '/auth/refresh'), 0)
})

t.test('AUTH_TOKEN_MISSING (no token at all) does not trigger a refresh', async (t) => {
  const { server, client } = await loggedIn(t)
  await client.logout()
  const response = await client.fetch('/api/data')
  t.equal(response.status, 401)
  t.equal(server.count('POST', '/auth/refresh'), 0)
})
