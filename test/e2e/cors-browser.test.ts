// Issue #16 item 5 in a real Chromium: a page served from a SECOND loopback origin (another port on 127.0.0.1) logs
// in through the gateway with `credentials: 'include'`, calls a protected route with its Bearer token, refreshes
// through the HttpOnly refresh cookie alone (a fresh token without the old one), and calls the route again; then the
// same through @authgate/client (baseUrl = the gateway), including a reloaded page resuming from the cookie. With
// `cors` listing the page's origin and `credentials: true` all of it works; without `cors`, without credentials, or
// with another origin listed, the browser refuses the very first call.
//
// Cookies: the page (http://127.0.0.1:P1) and the gateway (http://127.0.0.1:P2) are different ORIGINS but the SAME
// SITE (a site is scheme + registrable domain, or the IP; ports do not count), so the gateway's SameSite=Strict
// refresh cookie is stored from the cross-origin login answer and sent on the cross-origin refresh. A page on
// `localhost` calling `127.0.0.1` would be cross-site and the Strict cookie would stay home. `secure: false`: plain
// HTTP on loopback.
import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import t, { type Test } from 'tap'
import type { Browser } from 'playwright-core'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { startDemoUpstream } from '@authgate/gateway/demo-upstream'
import { buildApp, parseConfig } from '@authgate/gateway'
import { CLIENT_DIR, ensureClientBuilt, launchChromium, registerUser } from './helpers/browser.js'

const PASSWORD = 'correct horse battery staple'

/** The second origin: a blank HTML page (the test drives it through page.evaluate) and the built client at /client/. */
async function startPageServer (t: Test): Promise<string> {
  const server: Server = createServer((request, response) => {
    const name = (request.url ?? '/').startsWith('/client/') ? basename((request.url ?? '').slice('/client/'.length)) : ''
    const file = join(CLIENT_DIR, 'dist', name)
    if (name.endsWith('.js') && existsSync(file)) {
      readFile(file).then((body) => {
        response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' })
        response.end(body)
      }, () => { response.writeHead(500).end() })
      return
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    response.end('<!doctype html><title>cross-origin page</title><p>another origin</p>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The real gateway (in-memory store, demo upstream behind /api, auth: required), with `cors` as given. */
async function startGateway (t: Test, cors: Record<string, unknown> | undefined): Promise<string> {
  const keysDir = mkdtempSync(join(tmpdir(), 'authgate-cors-keys-'))
  t.teardown(() => { rmSync(keysDir, { recursive: true, force: true }) })
  writeKeysDir(keysDir, [generateKey('EdDSA')])
  const upstream = await startDemoUpstream({ host: '127.0.0.1', port: 0 })
  t.teardown(() => upstream.close())
  const config = parseConfig({
    server: { host: '127.0.0.1', port: 0 },
    log: { level: 'warn' },
    tokens: { algorithm: 'EdDSA', keysDir, issuer: 'authgate', audience: 'upstream' },
    cookie: { secure: false, sameSite: 'strict' },
    auth: { registration: true },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }],
    ...(cors === undefined ? {} : { cors })
  }, { file: 'cors browser e2e configuration' })
  const app = await buildApp(config, { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

interface Step { step: string, status?: number, body?: unknown, error?: string }

/**
 * Runs in the page (a string: this package is type-checked without the DOM lib): login, whoami, refresh (cookie
 * only), whoami with the new token, a second refresh. Stops at the first failure, reporting it.
 */
function flow (gateway: string, email: string): string {
  return `(async () => {
    const G = ${JSON.stringify(gateway)}
    const steps = []
    async function call (step, path, init) {
      try {
        const response = await fetch(G + path, { credentials: 'include', ...init })
        const text = await response.text()
        let body
        try { body = JSON.parse(text) } catch { body = text }
        steps.push({ step, status: response.status, body })
        return response.ok ? body : undefined
      } catch (error) {
        steps.push({ step, error: String(error) })
        return undefined
      }
    }
    const json = { 'content-type': 'application/json' }
    const login = await call('login', '/auth/login', { method: 'POST', headers: json, body: JSON.stringify({ email: ${JSON.stringify(email)}, password: ${JSON.stringify(PASSWORD)} }) })
    if (login === undefined) return steps
    if (await call('whoami', '/api/whoami', { headers: { authorization: 'Bearer ' + login.accessToken } }) === undefined) return steps
    await call('refresh without the cookie', '/auth/refresh', { method: 'POST', credentials: 'omit' })
    const refreshed = await call('refresh', '/auth/refresh', { method: 'POST' })
    if (refreshed === undefined) return steps
    steps.push({ step: 'new token', body: refreshed.accessToken !== login.accessToken })
    if (await call('whoami after refresh', '/api/whoami', { headers: { authorization: 'Bearer ' + refreshed.accessToken } }) === undefined) return steps
    await call('second refresh', '/auth/refresh', { method: 'POST' })
    return steps
  })()`
}

/**
 * The same with @authgate/client as a page on another origin uses it (`baseUrl` = the gateway): login, a protected
 * call, a refresh, and a second client (a reloaded page: no token, only the cookie) resuming the session.
 */
function clientFlow (gateway: string, email: string): string {
  return `(async () => {
    const { createAuthClient } = await import('/client/index.js')
    const steps = []
    const options = { baseUrl: ${JSON.stringify(gateway)}, crossTab: false }
    try {
      const client = createAuthClient(options)
      const login = await client.login(${JSON.stringify(email)}, ${JSON.stringify(PASSWORD)})
      steps.push({ step: 'client login', body: login.user.email })
      const whoami = await client.fetch('/api/whoami')
      steps.push({ step: 'client whoami', status: whoami.status, body: await whoami.json() })
      steps.push({ step: 'client refresh', body: await client.refresh() })
      const reloaded = createAuthClient(options)
      steps.push({ step: 'reloaded page resumes from the cookie', body: await reloaded.refresh() })
      const again = await reloaded.fetch('/api/whoami')
      steps.push({ step: 'reloaded whoami', status: again.status })
    } catch (error) {
      steps.push({ step: 'client error', error: String(error) })
    }
    return steps
  })()`
}

async function runFlow (browser: Browser, pageOrigin: string, gateway: string, script: (gateway: string, email: string) => string = flow): Promise<Step[]> {
  const email = `cors-${randomUUID()}@example.com`
  await registerUser(gateway, email, PASSWORD)
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(`${pageOrigin}/`)
    return await page.evaluate<Step[]>(script(gateway, email))
  } finally {
    await context.close()
  }
}

t.test('Chromium, page on a second loopback origin: login, protected call, refresh through the cookie', async (t) => {
  const browser = await launchChromium(t)
  const pageOrigin = await startPageServer(t)

  const gateway = await startGateway(t, { origins: [pageOrigin], credentials: true })
  const steps = await runFlow(browser, pageOrigin, gateway)
  t.match(steps, [
    { step: 'login', status: 200, body: { accessToken: /\S/, tokenType: 'Bearer' } },
    { step: 'whoami', status: 200, body: { userId: /\S/, roles: ['user'] } },
    { step: 'refresh without the cookie', status: 401, body: { code: 'AUTH_REFRESH_INVALID' } },
    { step: 'refresh', status: 200, body: { accessToken: /\S/ } },
    { step: 'new token', body: true },
    { step: 'whoami after refresh', status: 200, body: { userId: /\S/ } },
    { step: 'second refresh', status: 200 }
  ], 'with cors listing the page\'s origin and credentials: true, every step works (the refresh rides on the cookie alone: without it, 401)')
  t.equal(steps.length, 7)

  ensureClientBuilt()
  const client = await runFlow(browser, pageOrigin, gateway, clientFlow)
  t.match(client, [
    { step: 'client login', body: /@example\.com$/ },
    { step: 'client whoami', status: 200, body: { userId: /\S/ } },
    { step: 'client refresh', body: true },
    { step: 'reloaded page resumes from the cookie', body: true },
    { step: 'reloaded whoami', status: 200 }
  ], '@authgate/client with baseUrl on the gateway works from the other origin too')
  t.equal(client.length, 5)

  const none = await runFlow(browser, pageOrigin, await startGateway(t, undefined))
  t.match(none, [{ step: 'login', error: /TypeError: Failed to fetch/ }], 'without cors the browser refuses the login (its preflight is not answered)')
  t.equal(none.length, 1)

  const noCredentials = await runFlow(browser, pageOrigin, await startGateway(t, { origins: [pageOrigin] }))
  t.match(noCredentials, [{ step: 'login', error: /TypeError: Failed to fetch/ }], 'without credentials: true a credentialed call is refused by the browser')

  const other = await runFlow(browser, pageOrigin, await startGateway(t, { origins: ['http://127.0.0.1:1', 'http://localhost'], credentials: true }))
  t.match(other, [{ step: 'login', error: /TypeError: Failed to fetch/ }], 'an origin that is not listed (same host, other port) is refused')
})
