// Cross-tab hand-over through BroadcastChannel (Node 20 has one, so two clients here stand in for two tabs).
import t from 'tap'
import { createAuthClient, createMemoryCookieJar } from '../src/index.js'
import { PASSWORD, USER } from './helpers/contract-server.js'
import { serverFor } from './helpers/setup.js'

const nextEvent = <T>(subscribe: (resolve: (value: T) => void) => void): Promise<T> => new Promise(subscribe)

t.test('a token refreshed in one tab is handed to the other, and a logout reaches both', async (t) => {
  const server = await serverFor(t)
  const jar = createMemoryCookieJar() // tabs of one browser share the cookie
  const tabA = createAuthClient({ baseUrl: server.url, cookieJar: jar, crossTab: true })
  const tabB = createAuthClient({ baseUrl: server.url, cookieJar: jar, crossTab: true })
  t.teardown(() => { tabA.close(); tabB.close() })

  const handedOver = nextEvent<string | null>((resolve) => tabB.on('token', (e) => { resolve(e.accessToken) }))
  await tabA.login(USER.email, PASSWORD)
  t.equal(await handedOver, tabA.accessToken, 'B received A\'s token without a refresh of its own')
  t.equal(tabB.user?.id, USER.id)

  server.expireAccessTokens()
  const refreshed = nextEvent<string | null>((resolve) => tabB.on('token', (e) => { resolve(e.accessToken) }))
  t.equal((await tabA.fetch('/api/data')).status, 200)
  t.equal(await refreshed, tabA.accessToken)
  t.equal((await tabB.fetch('/api/data')).status, 200, 'B uses the handed-over token')
  t.equal(server.count('POST', '/auth/refresh'), 1, 'one refresh for both tabs')

  const loggedOut = nextEvent<string>((resolve) => tabB.on('logout', (e) => { resolve(e.reason) }))
  await tabA.logout()
  t.equal(await loggedOut, 'remote')
  t.equal(tabB.accessToken, null)
})

t.test('clients without crossTab (the Node default) never share tokens', async (t) => {
  const server = await serverFor(t)
  const a = createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar() })
  const b = createAuthClient({ baseUrl: server.url, cookieJar: createMemoryCookieJar() })
  await a.login(USER.email, PASSWORD)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(b.accessToken, null)
})
