// A real OpenID Provider for the tests: oidc-provider (panva, a certified implementation) on a loopback port, with
// its development interactions (a login form that takes any password), test accounts, and consent skipped for the
// test clients. Its HTTP server is up before the gateway starts (the gateway needs the issuer URL); the provider is
// attached once the gateway's callback URL is known (the client registration needs it).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import Provider, { type ProviderClientMetadata } from 'oidc-provider'

export interface Teardown { teardown (fn: () => unknown): void }

export interface TestAccount {
  email?: string
  email_verified?: boolean
  name?: string
}

export interface TestProvider {
  issuer: string
  server: Server
  accounts: Map<string, TestAccount>
  /** Registers the clients (once) and starts answering; before that every request gets a 503. */
  start: (clients: ProviderClientMetadata[]) => void
  /**
   * Completes the provider's side over HTTP: follows `authorizeUrl`, submits the login form as `account`, and returns
   * the URL the provider redirects the browser to (the callback, with `code` and `state`). Cookies are the provider's
   * own, kept per call (one browser per call).
   */
  signIn: (authorizeUrl: string, account: string) => Promise<string>
}

/** Starts the provider's server on 127.0.0.1; closed at teardown. */
export async function startOidcProvider (t: Teardown, accounts: Record<string, TestAccount> = {}, options: { hostname?: string } = {}): Promise<TestProvider> {
  let handler: ((request: IncomingMessage, response: ServerResponse) => void) | undefined
  const server = createServer((request, response) => {
    if (handler === undefined) {
      response.writeHead(503).end()
      return
    }
    handler(request, response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => { resolve() }) }))
  // `hostname: 'localhost'` (still listening on 127.0.0.1) makes the provider another site than a gateway on
  // 127.0.0.1 for a browser: SameSite applies as with a real provider.
  const issuer = `http://${options.hostname ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`
  const known = new Map(Object.entries(accounts))
  // Its own signing key (RS256), so the provider does not fall back to its published development key.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `test-${randomBytes(4).toString('hex')}`, use: 'sig', alg: 'RS256' }

  return {
    issuer,
    server,
    accounts: known,
    start (clients) {
      const provider = new Provider(issuer, {
        clients,
        jwks: { keys: [jwk] },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        findAccount: async (_ctx, id) => {
          const account = known.get(id)
          return account === undefined ? undefined : { accountId: id, claims: async () => ({ sub: id, ...account }) }
        },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        features: { devInteractions: { enabled: true } },
        pkce: { required: () => true },
        // First-party test clients: consent is given as the account signs in.
        loadExistingGrant: async (ctx) => {
          const { client, session } = ctx.oidc
          if (client === undefined || session?.accountId === undefined) return undefined
          const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId })
          grant.addOIDCScope('openid email profile')
          grant.addOIDCClaims(['email', 'email_verified', 'name'])
          await grant.save()
          return grant
        }
      })
      handler = provider.callback()
    },
    async signIn (authorizeUrl, account) {
      const cookies = new Map<string, string>()
      const cookieHeader = (): string => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
      const keep = (response: Response): void => {
        for (const line of response.headers.getSetCookie()) {
          const [pair = ''] = line.split(';')
          const eq = pair.indexOf('=')
          cookies.set(pair.slice(0, eq), pair.slice(eq + 1))
        }
      }
      let url = authorizeUrl
      let submitted = false
      // Bounded: authorize → interaction → (login) → resume → authorize → callback is about six hops.
      for (let hop = 0; hop < 15; hop++) {
        const response = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader() } })
        keep(response)
        const location = response.headers.get('location')
        if (response.status >= 300 && response.status < 400 && location !== null) {
          await response.body?.cancel()
          const next = new URL(location, url)
          if (next.origin !== issuer) return next.href
          url = next.href
          continue
        }
        const body = await response.text()
        if (response.status !== 200 || !new URL(url).pathname.startsWith('/interaction/') || submitted) {
          throw new Error(`the provider answered ${response.status} at ${new URL(url).pathname}: ${body.slice(0, 300)}`)
        }
        submitted = true
        const form = await fetch(url, {
          method: 'POST',
          redirect: 'manual',
          headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ prompt: 'login', login: account, password: 'any' }).toString()
        })
        keep(form)
        await form.body?.cancel()
        const next = form.headers.get('location')
        if (next === null) throw new Error(`the login form answered ${form.status}`)
        url = new URL(next, url).href
      }
      throw new Error('the provider never redirected back')
    }
  }
}
