// Logout forgets the token and the cookie; the session endpoints map to the contract's routes.
import t from 'tap'
import { AuthClientError, createAuthClient, createMemoryCookieJar } from '../src/index.js'
import { PASSWORD, USER } from './helpers/contract-server.js'
import { loggedIn, serverFor } from './helpers/setup.js'

t.test('logout clears the token, revokes the session server-side and drops the refresh cookie', async (t) => {
  const { server, client } = await loggedIn(t)
  const events: string[] = []
  client.on('logout', (e) => events.push(e.reason))
  client.on('token', (e) => events.push(`token:${String(e.accessToken)}`))
  t.type(client.accessToken, 'string')
  await client.logout()
  t.equal(client.accessToken, null)
  t.equal(client.user, null)
  t.same(events, ['token:null', 'local'])
  const logoutRequest = server.requests.find((r) => r.path === '/auth/logout')
  t.match(logoutRequest?.cookie, /authgate_rt=/, 'the refresh cookie was presented to /auth/logout')

  const after = await client.fetch('/api/data')
  t.equal(after.status, 401)
  t.equal(server.requests.at(-1)?.authorization, undefined, 'no token sent after logout')
  t.equal(await client.refresh(), false, 'the cookie is gone: nothing to refresh with')
  t.equal(server.requests.at(-1)?.cookie, undefined, 'the cleared cookie is not sent back')
})

t.test('logoutAll revokes every session, then logs out here', async (t) => {
  const { server, client } = await loggedIn(t)
  const other = createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar() })
  await other.login(USER.email, PASSWORD)
  await client.logoutAll()
  t.equal(client.accessToken, null)
  t.equal(server.count('POST', '/auth/logout-all'), 1)
  t.equal((await other.fetch('/api/data')).status, 401, 'the other session is revoked too')
})

t.test('sessions() stops when a cursor comes back (a server that ignores it): no endless paging, no duplicates', async (t) => {
  const { server, client } = await loggedIn(t)
  for (let index = 0; index < 2; index++) await createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar() }).login(USER.email, PASSWORD)
  server.sessionsIgnoreCursor = true
  const sessions = await client.sessions()
  t.equal(new Set(sessions.map((s) => s.id)).size, sessions.length, 'each session once')
  t.equal(sessions.length, 2, 'the one page the server keeps answering')
  t.equal(server.count('GET', '/auth/sessions'), 2, 'the repeated cursor ended the loop')
})

t.test('sessions, revokeSession, revokeOtherSessions and me', async (t) => {
  const { server, client } = await loggedIn(t)
  const other = createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar() })
  await other.login(USER.email, PASSWORD)
  const third = createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar() })
  await third.login(USER.email, PASSWORD)

  const sessions = await client.sessions()
  t.equal(sessions.length, 3)
  t.equal(sessions.filter((s) => s.current).length, 1)
  const me = await client.me()
  t.equal(me.user.id, USER.id)
  t.equal(sessions.find((s) => s.current)?.id, me.claims.sid, 'current is this client\'s session')

  const otherSid = (await other.me()).claims.sid as string
  await client.revokeSession(otherSid)
  t.equal((await client.sessions()).length, 2)
  await client.revokeOtherSessions()
  t.same((await client.sessions()).map((s) => s.current), [true])
  t.equal((await third.fetch('/api/data')).status, 401)

  const error = await client.revokeSession('no-such-session').catch((err: unknown) => err)
  t.ok(error instanceof AuthClientError)
  t.match(error, { code: 'AUTHGATE_CLIENT_REQUEST_FAILED', status: 404, serverCode: 'AUTH_SESSION_NOT_FOUND' })
})

t.test('wrong credentials reject with the server code', async (t) => {
  const server = await serverFor(t)
  const client = createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar() })
  await t.rejects(client.login(USER.email, 'nope'), { code: 'AUTHGATE_CLIENT_REQUEST_FAILED', status: 401, serverCode: 'AUTH_INVALID_CREDENTIALS' })
  t.equal(client.accessToken, null)
})

t.test('refresh() resumes a session from the cookie alone (a page reload)', async (t) => {
  const server = await serverFor(t)
  const jar = createMemoryCookieJar()
  const first = createAuthClient({ baseUrl: server.url, cookieJar: jar })
  await first.login(USER.email, PASSWORD)
  const reloaded = createAuthClient({ baseUrl: server.url, cookieJar: jar })
  t.equal(reloaded.accessToken, null)
  t.equal(await reloaded.refresh(), true)
  t.same(reloaded.user, USER)
  t.equal((await reloaded.fetch('/api/data')).status, 200)
})

t.test('a client without baseUrl outside a browser is a configuration error', async (t) => {
  t.throws(() => createAuthClient({}), { code: 'AUTHGATE_CLIENT_CONFIG' })
  t.throws(() => createAuthClient({ baseUrl: 'http://127.0.0.1:1', authPrefix: 'auth' }), { code: 'AUTHGATE_CLIENT_CONFIG' })
})

t.test('a refresh still in flight when logout() is called does not bring the session back', async (t) => {
  const { server, client } = await loggedIn(t)
  server.expireAccessTokens()
  server.refreshDelayMs = 200
  const pending = client.fetch('/api/data')
  // Wait until the 401 is back and the refresh has reached the server (which holds its answer for 200 ms).
  while (server.count('POST', '/auth/refresh') === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  await client.logout()
  t.equal((await pending).status, 401, 'the request gets its 401, not a retry with a token from the old session')
  t.equal(client.accessToken, null)
  t.equal(server.count('GET', '/api/data'), 1)
})
