// A gateway with OIDC sign-in against real oidc-provider instances (oidc-provider.ts), and a tiny browser stand-in
// (a cookie jar per "browser") that walks the redirects over HTTP. Shared by the end-to-end and security tests.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { generateKey } from '@authgate/fastify/tokens'
import { type SessionStore } from '@authgate/fastify'
import { buildApp, parseConfig } from '@authgate/gateway'
import { startOidcProvider, type Teardown, type TestAccount, type TestProvider } from './oidc-provider.js'

export const CLIENT_SECRET = 'test-client-secret-0123456789abcdef'

export interface OidcGatewayOptions {
  /** Provider names; each gets its own oidc-provider instance. Default ['test']. */
  providers?: string[]
  accounts?: Record<string, TestAccount>
  linkByVerifiedEmail?: boolean
  store?: SessionStore
  storeConfig?: Record<string, unknown>
  routes?: unknown[]
  allowedOrigins?: string[]
  /** Further top-level gateway configuration. */
  config?: Record<string, unknown>
  /** Serve the demo page (the gateway's embedded mode). */
  demo?: { dir: string, clientDist?: string }
  /** The providers' host name in their issuer URL (default 127.0.0.1; they always listen there). */
  providerHostname?: string
  /** Where the gateway's log lines go (JSON, one per write); default: no logging. */
  logStream?: { write: (line: string) => void }
}

export interface OidcGateway {
  app: FastifyInstance
  origin: string
  idps: Record<string, TestProvider>
  /** A fresh browser: its own cookies for the gateway. */
  browser: () => Browser
}

export interface Answer {
  status: number
  location: string | null
  body: string
  setCookies: string[]
}

export interface Browser {
  cookies: Map<string, string>
  /** GET/POST at the gateway with this browser's cookies (redirects not followed); Set-Cookie kept. */
  request: (pathOrUrl: string, init?: RequestInit) => Promise<Answer>
  /** GET {prefix}/oidc/NAME/login → the provider's authorization URL (asserts the 302). */
  startLogin: (provider: string, returnTo?: string) => Promise<string>
  /** The whole sign-in as `account`: login → provider → callback; the callback's answer. */
  signIn: (provider: string, account: string, returnTo?: string) => Promise<Answer>
  /** POST /auth/refresh → the access token (asserts 200). */
  accessToken: () => Promise<{ accessToken: string, user: { id: string, email: string | null } }>
}

export async function startOidcGateway (t: Teardown, options: OidcGatewayOptions = {}): Promise<OidcGateway> {
  const names = options.providers ?? ['test']
  const idps: Record<string, TestProvider> = {}
  for (const name of names) idps[name] = await startOidcProvider(t, options.accounts ?? {}, { hostname: options.providerHostname })
  const config = parseConfig({
    tokens: { keys: [generateKey('EdDSA')], issuer: 'authgate-oidc', audience: 'upstream' },
    cookie: { secure: false },
    routes: options.routes ?? [],
    ...(options.storeConfig === undefined ? {} : { store: options.storeConfig }),
    ...(options.allowedOrigins === undefined ? {} : { auth: { allowedOrigins: options.allowedOrigins } }),
    oidc: {
      providers: names.map((name) => ({ name, issuer: idps[name]?.issuer, clientId: `authgate-${name}`, clientSecret: CLIENT_SECRET })),
      linkByVerifiedEmail: options.linkByVerifiedEmail ?? false
    },
    ...options.config
  }, { file: 'oidc-e2e' })
  const app = await buildApp(config, { ...(options.logStream === undefined ? { logger: false } : { logStream: options.logStream }), ...(options.store === undefined ? {} : { store: options.store }), ...(options.demo === undefined ? {} : { demo: options.demo }) })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  for (const name of names) {
    idps[name]?.start([{ client_id: `authgate-${name}`, client_secret: CLIENT_SECRET, redirect_uris: [`${origin}/auth/oidc/${name}/callback`] }])
  }
  return { app, origin, idps, browser: () => newBrowser(origin, idps) }
}

function newBrowser (origin: string, idps: Record<string, TestProvider>): Browser {
  const cookies = new Map<string, string>()
  const browser: Browser = {
    cookies,
    async request (pathOrUrl, init = {}) {
      const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${origin}${pathOrUrl}`
      const headers = new Headers(init.headers)
      if (cookies.size > 0) headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '))
      const response = await fetch(url, { ...init, headers, redirect: 'manual' })
      const setCookies = response.headers.getSetCookie()
      for (const line of setCookies) {
        const [pair = ''] = line.split(';')
        const eq = pair.indexOf('=')
        const name = pair.slice(0, eq)
        const value = pair.slice(eq + 1)
        if (value === '' || /max-age=0/i.test(line)) cookies.delete(name)
        else cookies.set(name, value)
      }
      return { status: response.status, location: response.headers.get('location'), body: await response.text(), setCookies }
    },
    async startLogin (provider, returnTo) {
      const query = returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`
      const answer = await browser.request(`/auth/oidc/${provider}/login${query}`)
      if (answer.status !== 302 || answer.location === null) throw new Error(`login answered ${answer.status}: ${answer.body}`)
      return answer.location
    },
    async signIn (provider, account, returnTo) {
      const authorize = await browser.startLogin(provider, returnTo)
      const idp = idps[provider]
      if (idp === undefined) throw new Error(`no provider ${provider}`)
      return browser.request(await idp.signIn(authorize, account))
    },
    async accessToken () {
      const answer = await browser.request('/auth/refresh', { method: 'POST', headers: { origin } })
      if (answer.status !== 200) throw new Error(`refresh answered ${answer.status}: ${answer.body}`)
      return JSON.parse(answer.body) as { accessToken: string, user: { id: string, email: string | null } }
    }
  }
  return browser
}
