// The demo page and @authgate/client in a real Chromium, against the real gateway (2-second access tokens):
// login, API call, silent refresh after expiry, HttpOnly refresh cookie, cross-tab logout, revocation from another
// browser, logout. Also the Node client against the same real plugin (the contract tests of packages/client use a
// dependency-free stand-in server; these check the real thing).
import { randomUUID } from 'node:crypto'
import t from 'tap'
import type { BrowserContext, Page } from 'playwright-core'
import { createAuthClient, createMemoryCookieJar } from '@authgate/client'
import { artifactPath, ensureClientBuilt, launchChromium, registerUser, startGatewayDemo, startPluginDemoApp } from './helpers/browser.js'

const PASSWORD = 'correct horse battery staple'
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Uncaught errors of every page, checked at the end of each test: the demo must run clean. */
const pageErrors: string[] = []

async function openDemo (context: BrowserContext, origin: string, query = ''): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (error) => { pageErrors.push(error.message) })
  await page.goto(`${origin}/demo/${query}`)
  return page
}

async function logIn (page: Page, email: string): Promise<void> {
  await page.waitForSelector('#login-view:not([hidden])')
  await page.fill('#email', email)
  await page.fill('#password', PASSWORD)
  await page.click('#login-button')
  await page.waitForSelector('#app-view:not([hidden])')
}

/** Clicks the whoami button and returns the status line and the JSON the upstream answered. */
async function callWhoami (page: Page, timeout = 10_000): Promise<{ status: string, body: unknown }> {
  // Page-side code is passed as strings (this package is type-checked without the DOM lib) and only to evaluate():
  // waitForFunction() would eval it inside the page, which the demo's CSP (rightly) forbids.
  await page.evaluate("document.querySelector('#whoami-status').textContent = ''")
  await page.click('#whoami-button', { timeout })
  await page.waitForSelector('#whoami-status:not(:empty)', { timeout })
  const status = await page.textContent('#whoami-status') ?? ''
  const text = await page.textContent('#whoami-output') ?? ''
  let body: unknown
  try { body = JSON.parse(text) } catch { body = text }
  return { status, body }
}

t.test('the demo page in Chromium: login, refresh after expiry, HttpOnly cookie, revocation, logout', async (t) => {
  ensureClientBuilt()
  const browser = await launchChromium(t)
  const target = await startGatewayDemo(t)
  const email = `e2e-${randomUUID()}@example.com`
  await registerUser(target.origin, email, PASSWORD)

  const first = await browser.newContext()
  t.teardown(() => first.close())
  const refreshes: string[] = []
  first.on('request', (request) => { if (new URL(request.url()).pathname === '/auth/refresh') refreshes.push(request.method()) })

  const page = await openDemo(first, target.origin)
  await logIn(page, email)
  t.equal(await page.textContent('#user-email'), email)
  await page.screenshot({ path: artifactPath('browser-after-login.png'), fullPage: true })

  const whoami = await callWhoami(page)
  t.match(whoami.status, /^200 /, 'the API answers through the gateway')
  const sessions = await page.evaluate<Array<{ id: string, current: boolean }>>("[...document.querySelectorAll('#sessions-list tr')].map((row) => ({ id: row.dataset.sessionId, current: row.classList.contains('current') }))")
  t.equal(sessions.length, 1)
  const sid = sessions[0]?.id
  // The readable device, from the session list's `client` (Chromium headless: "HeadlessChrome" reads as Chrome).
  t.match(await page.textContent(`#sessions-list tr[data-session-id="${sid ?? ''}"] td.readable`), /^Chrome \d+ on Linux \(desktop\)$/, 'the session shows its browser, OS and device type')
  t.ok(await page.isHidden('#refresh-line'), 'no "token refreshed" line before any refresh')
  t.match(whoami.body, { sessionId: sid, userId: /\S/, roles: ['user'], assertion: true }, 'the upstream saw the identity headers of this session')
  await page.screenshot({ path: artifactPath('browser-whoami.png'), fullPage: true })

  t.equal(await page.evaluate('document.cookie'), '', 'the refresh cookie is invisible to document.cookie')
  const refreshCookie = (await first.cookies()).find((cookie) => cookie.name === 'authgate_rt')
  t.match(refreshCookie, { httpOnly: true, path: '/auth', sameSite: 'Strict' }, 'yet the browser holds it, HttpOnly, on /auth')

  const refreshesBefore = refreshes.length
  await sleep(2500)
  const afterExpiry = await callWhoami(page)
  t.match(afterExpiry.status, /^200 /, 'after expiry the call succeeds without logging in again')
  t.ok(refreshes.length > refreshesBefore, 'because the client refreshed the token')
  await page.waitForSelector('#refresh-line:not([hidden])', { timeout: 5000 })
  t.match(await page.textContent('#refresh-line'), /^Token refreshed at .+ \(\d+ so far\)$/, 'the page shows the refresh happening')
  t.ok(await page.isHidden('#login-view'))

  // A second tab of the same browser resumes the session from the cookie, and follows a logout made elsewhere later.
  const secondTab = await openDemo(first, target.origin)
  await secondTab.waitForSelector('#app-view:not([hidden])')
  t.pass('a second tab resumed the session from the refresh cookie')

  // Another browser (own cookies) logs in as the same user and revokes the first browser's session.
  const other = await browser.newContext()
  t.teardown(() => other.close())
  const otherPage = await openDemo(other, target.origin)
  await logIn(otherPage, email)
  await otherPage.click('#sessions-reload')
  await otherPage.waitForSelector(`#sessions-list tr[data-session-id="${sid ?? ''}"]`)
  t.equal(await otherPage.textContent(`#sessions-list button[data-revoke="${sid ?? ''}"]`), 'Revoke', 'another session\'s row has a Revoke button')
  await otherPage.click(`#sessions-list button[data-revoke="${sid ?? ''}"]`)
  await otherPage.waitForSelector(`#sessions-list tr[data-session-id="${sid ?? ''}"]`, { state: 'detached' })

  // The first browser is sent back to the login form on its next call (revocation, then a refused refresh).
  const deadline = Date.now() + 15_000
  while (await page.isHidden('#login-view') && Date.now() < deadline) {
    // The login form may replace the app view at any moment: short timeouts, failures expected.
    await callWhoami(page, 1000).catch(() => undefined)
    await sleep(500)
  }
  t.ok(await page.isVisible('#login-view'), 'the revoked browser is back at the login form')
  t.match(await page.textContent('#status'), /session has ended/)
  // The line belongs to the signed-out user: hidden and emptied (the next sign-in counts from zero).
  t.same(await page.evaluate("(() => { const line = document.getElementById('refresh-line'); return { hidden: line.hidden, text: line.textContent } })()"), { hidden: true, text: '' }, 'the refresh line is reset at the login form')

  // Logout in the other browser: back to the login form, refresh cookie gone, a reload does not resume.
  await otherPage.click('#logout')
  await otherPage.waitForSelector('#login-view:not([hidden])')
  const left = (await other.cookies()).find((cookie) => cookie.name === 'authgate_rt')
  t.ok(left === undefined || left.value === '', 'the refresh cookie is cleared')
  await otherPage.reload()
  await otherPage.waitForSelector('#login-view:not([hidden])')
  t.pass('after a reload the logged-out browser stays logged out')
  t.same(pageErrors, [], 'no uncaught errors in the pages')
})

t.test('cross-tab: a logout in one tab logs the other tab out, a refresh is shared', async (t) => {
  ensureClientBuilt()
  const browser = await launchChromium(t)
  // 5 s tokens: tab B's call must land while the token tab A handed over still lives (2 s failed at load 15).
  const target = await startGatewayDemo(t, { accessTtl: '5s' })
  const email = `e2e-${randomUUID()}@example.com`
  await registerUser(target.origin, email, PASSWORD)
  const context = await browser.newContext()
  t.teardown(() => context.close())
  // Proactive refresh off: the expired token collects a real 401 from the gateway, then tab A refreshes, and the
  // only way tab B can avoid a refresh of its own is the token tab A hands over.
  const tabA = await openDemo(context, target.origin, '?proactive=0')
  await logIn(tabA, email)
  const tabB = await openDemo(context, target.origin, '?proactive=0')
  await tabB.waitForSelector('#app-view:not([hidden])')
  const refreshes: string[] = []
  context.on('request', (request) => { if (new URL(request.url()).pathname === '/auth/refresh') refreshes.push(request.url()) })

  await sleep(5500)
  t.match((await callWhoami(tabA)).status, /^200 /)
  await sleep(700) // let the BroadcastChannel message land (the handed-over token lives 5 s)
  t.match((await callWhoami(tabB)).status, /^200 /, 'tab B works with the token tab A handed over')
  t.equal(refreshes.length, 1, 'one refresh for both tabs')

  await tabA.click('#logout')
  await tabB.waitForSelector('#login-view:not([hidden])', { timeout: 5000 })
  t.match(await tabB.textContent('#status'), /another tab/)

  // And a login in tab A is picked up by tab B, which is showing its login form.
  await logIn(tabA, email)
  await tabB.waitForSelector('#app-view:not([hidden])', { timeout: 5000 })
  t.match((await callWhoami(tabB)).status, /^200 /, 'tab B signed in through tab A')
  t.same(pageErrors, [], 'no uncaught errors in the pages')
})

t.test('the Node client against the real plugin', async (t) => {
  const target = await startPluginDemoApp(t, { accessTtl: '2s' })
  const email = `node-${randomUUID()}@example.com`
  await registerUser(target.origin, email, PASSWORD)
  let expiries = 0
  // Count what goes over the wire (the requests still reach the real server); proactive refresh off, so the
  // expired token produces real 401s from the plugin.
  const sent: string[] = []
  const countingFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push(`${init?.method ?? 'GET'} ${new URL(input instanceof Request ? input.url : input).pathname}`)
    return fetch(input, init)
  }
  const client = createAuthClient({
    baseUrl: target.origin, cookieJar: createMemoryCookieJar(), fetch: countingFetch, proactiveRefresh: false, onSessionExpired: () => { expiries++ }
  })
  const login = await client.login(email, PASSWORD)
  t.equal(login.user.email, email)
  t.equal((await client.fetch('/api/whoami')).status, 200)

  await sleep(2200)
  const before = client.accessToken
  sent.length = 0
  const responses = await Promise.all(Array.from({ length: 20 }, () => client.fetch('/api/whoami')))
  t.same(responses.map((r) => r.status), Array(20).fill(200), '20 parallel calls after expiry all succeed')
  t.equal(sent.filter((line) => line === 'POST /auth/refresh').length, 1, 'with exactly one refresh')
  t.equal(sent.filter((line) => line === 'GET /api/whoami').length, 40, 'each call: a 401, then one retry')
  t.not(client.accessToken, before)

  const sessions = await client.sessions()
  t.equal(sessions.length, 1, 'one session: the refresh rotated it instead of forking it')
  t.equal((await client.me()).user.email, email)

  // Another session revokes this one: the next call ends the session exactly once.
  const other = createAuthClient({ baseUrl: target.origin, cookieJar: createMemoryCookieJar() })
  await other.login(email, PASSWORD)
  await other.revokeOtherSessions()
  await sleep(2200) // past the token's expiry: the refresh is what must fail
  const afterRevoke = await Promise.all(Array.from({ length: 5 }, () => client.fetch('/api/whoami')))
  t.same(afterRevoke.map((r) => r.status), Array(5).fill(401))
  t.equal(expiries, 1, 'onSessionExpired once')
  sent.length = 0
  t.equal((await client.fetch('/api/whoami')).status, 401)
  t.same(sent, ['GET /api/whoami'], 'no refresh loop after the session ended')
  t.equal(client.accessToken, null)

  await other.logout()
  t.equal(other.accessToken, null)
  t.equal((await other.fetch('/api/whoami')).status, 401)
  t.equal(await other.refresh(), false, 'the cookie no longer refreshes')
})
