// OIDC sign-in in a real Chromium through the demo page's "Sign in with test" button (issue #14 item 2): the page
// lists the gateway's providers, the button leaves for the real provider (oidc-provider, on another site: its issuer
// is http://localhost:PORT while the gateway is http://127.0.0.1:PORT), the provider's login form is filled in, and
// back on the demo page the start-up refresh picks up the session from the refresh cookie the callback set.
import { join } from 'node:path'
import t from 'tap'
import { startDemoUpstream } from '@authgate/gateway/demo-upstream'
import { CHROMIUM_ARGS, CHROMIUM_PATH, CLIENT_DIR, DEMO_DIR, artifactPath, ensureClientBuilt } from './helpers/browser.js'
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import { startOidcGateway } from './helpers/oidc-gateway.js'

t.test('the demo page signs in through the OIDC provider in Chromium', async (t) => {
  ensureClientBuilt()
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`)
  // localhost is resolved to loopback inside Chromium, so nothing leaves the machine whatever its resolver says.
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP localhost 127.0.0.1'] })
  t.teardown(() => browser.close())
  const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0 })
  t.teardown(() => upstream.close())
  const gateway = await startOidcGateway(t, {
    accounts: { alice: { email: 'alice@example.com', email_verified: true, name: 'Alice' } },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }],
    demo: { dir: DEMO_DIR, clientDist: join(CLIENT_DIR, 'dist') },
    providerHostname: 'localhost'
  })
  const context = await browser.newContext()
  t.teardown(() => context.close())
  const errors: string[] = []
  const page = await context.newPage()
  page.on('pageerror', (error) => { errors.push(error.message) })

  await page.goto(`${gateway.origin}/demo/`)
  await page.waitForSelector('#login-view:not([hidden])')
  await page.waitForSelector('#oidc-test')
  t.equal(await page.textContent('#oidc-test'), 'Sign in with test', 'the button names the provider')
  await page.screenshot({ path: artifactPath('oidc-browser-login.png'), fullPage: true })

  await page.click('#oidc-test')
  await page.waitForURL((url) => url.hostname === 'localhost', { timeout: 10_000 })
  await page.fill('input[name="login"]', 'alice')
  await page.fill('input[name="password"]', 'any password')
  await page.click('button[type="submit"]')

  await page.waitForURL(`${gateway.origin}/demo/`, { timeout: 10_000 })
  await page.waitForSelector('#app-view:not([hidden])', { timeout: 10_000 })
  t.equal(await page.textContent('#user-email'), 'alice@example.com', 'signed in as the provider\'s account')
  t.notOk(page.url().includes('token') || page.url().includes('code='), 'no token or code left in the URL')
  await page.screenshot({ path: artifactPath('oidc-browser-signed-in.png'), fullPage: true })

  await page.click('#whoami-button')
  await page.waitForSelector('#whoami-status:not(:empty)')
  t.match(await page.textContent('#whoami-status') ?? '', /^200 /, 'the API answers through the gateway with the new session')
  const sessions = await page.evaluate<number>("document.querySelectorAll('#sessions-list tr').length")
  t.equal(sessions, 1, 'the session is listed')
  const cookies = (await context.cookies()).filter((cookie) => cookie.domain === '127.0.0.1')
  t.match(cookies.find((cookie) => cookie.name === 'authgate_rt'), { httpOnly: true, sameSite: 'Strict', path: '/auth' })
  t.notOk(cookies.some((cookie) => cookie.name === 'authgate_rt_oidc'), 'the binding cookie is gone')
  t.same(errors, [], 'the page ran without errors')
})
