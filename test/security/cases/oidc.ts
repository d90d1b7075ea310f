// docs/security.md section D, OIDC sign-in (oidc.providers, issue #14 item 2): a gateway with two real OpenID
// Providers (oidc-provider on loopback, e2e/helpers/oidc-provider.ts) and browsers simulated over HTTP. Every attack
// goes through the provider for real where it can: codes, ID tokens and nonces are the provider's, never forged here.
import type { AttackCase, Expectation, Outcome } from '../lib/case.js'
import type { AttackTarget } from '../lib/target.js'
import { startOidcGateway, type Answer, type OidcGateway } from '../../e2e/helpers/oidc-gateway.js'

const STATE_INVALID: Expectation = { status: 400, code: 'AUTH_OIDC_STATE_INVALID', upstream: 'n/a' }
const REJECTED: Expectation = { status: 401, code: 'AUTH_OIDC_REJECTED', upstream: 'n/a' }
const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true },
  mallory: { email: 'victim@example.com', email_verified: false },
  carol: { email: 'carol@example.com', email_verified: true },
  // One address, two subjects of one provider: the provider gave the leaver's mailbox to a new employee.
  'dora-leaver': { email: 'dora@example.com', email_verified: true },
  'dora-new-hire': { email: 'dora@example.com', email_verified: true }
}

const setups = new WeakMap<AttackTarget, Promise<OidcGateway>>()

function setup (target: AttackTarget): Promise<OidcGateway> {
  let started = setups.get(target)
  if (started === undefined) {
    started = startOidcGateway({ teardown: target.teardown }, {
      providers: ['alpha', 'beta'], accounts: ACCOUNTS, linkByVerifiedEmail: true, config: { auth: { registration: true } }
    })
    setups.set(target, started)
  }
  return started
}

function outcome (answer: Answer): Outcome {
  let code: string | undefined
  try { code = (JSON.parse(answer.body) as { code?: string }).code } catch { code = undefined }
  const headers: Outcome['headers'] = { location: answer.location ?? undefined, 'set-cookie': answer.setCookies }
  return { status: answer.status, code, headers, body: answer.body }
}

function noSession (result: Outcome): void {
  const cookies = result.headers['set-cookie'] as string[]
  if (cookies.some((line) => /^authgate_rt=[^;]+/.test(line))) throw new Error('a refresh cookie was set')
}

/** A sign-in run up to the provider's redirect back: the browser that began it, and the callback URL. */
async function callbackFor (gateway: OidcGateway, provider: string, account = 'alice') {
  const browser = gateway.browser()
  const authorize = await browser.startLogin(provider)
  const callback = new URL(await gateway.idps[provider]!.signIn(authorize, account))
  return { browser, callback, authorize: new URL(authorize) }
}

/** Signs in with `returnTo`; the callback's answer (its Location is what is asserted). */
async function returnToAfter (gateway: OidcGateway, returnTo: string): Promise<Outcome> {
  return outcome(await gateway.browser().signIn('alpha', 'alice', returnTo))
}

const OPEN_REDIRECTS = ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/..//evil.example', '/%2e//evil.example', 'javascript:alert(1)', '/\t/evil.example', 'http:evil.example', '\\\\evil.example']

export const oidcCases: AttackCase[] = [
  {
    id: 'D.60',
    name: 'OIDC callback without `state` (a code alone, as an attacker would inject one)',
    expect: STATE_INVALID,
    attack: async (target) => {
      const gateway = await setup(target)
      const { browser, callback } = await callbackFor(gateway, 'alpha')
      callback.searchParams.delete('state')
      return outcome(await browser.request(callback.href))
    },
    check: noSession,
    also: 'no refresh cookie set; no code exchanged'
  },
  {
    id: 'D.60',
    name: 'OIDC callback with a wrong `state` (well-formed, never issued)',
    expect: STATE_INVALID,
    attack: async (target) => {
      const gateway = await setup(target)
      const { browser, callback } = await callbackFor(gateway, 'alpha')
      callback.searchParams.set('state', 'A'.repeat(43))
      return outcome(await browser.request(callback.href))
    },
    check: noSession,
    also: 'no refresh cookie set'
  },
  {
    id: 'D.60',
    name: 'OIDC callback replayed after it signed in (`state` reused, same browser)',
    expect: STATE_INVALID,
    attack: async (target) => {
      const gateway = await setup(target)
      const { browser, callback } = await callbackFor(gateway, 'alpha')
      const first = await browser.request(callback.href)
      if (first.status !== 303) throw new Error(`the genuine callback answered ${first.status}`)
      return outcome(await browser.request(callback.href))
    },
    check: noSession,
    also: 'the first use signed in (303); the replay sets no cookie'
  },
  {
    id: 'D.61',
    name: 'OIDC callback URL replayed in another browser (stolen or forced: login CSRF)',
    expect: STATE_INVALID,
    attack: async (target) => {
      const gateway = await setup(target)
      const { callback } = await callbackFor(gateway, 'alpha')
      return outcome(await gateway.browser().request(callback.href))
    },
    check: noSession,
    also: 'the state is bound to the browser that began the sign-in (binding cookie); no cookie set'
  },
  {
    id: 'D.62',
    name: 'OIDC authorization code reused with a fresh `state` of the same browser',
    expect: REJECTED,
    attack: async (target) => {
      const gateway = await setup(target)
      const { browser, callback } = await callbackFor(gateway, 'alpha')
      if ((await browser.request(callback.href)).status !== 303) throw new Error('the genuine callback did not sign in')
      const fresh = new URL(await browser.startLogin('alpha'))
      callback.searchParams.set('state', fresh.searchParams.get('state') ?? '')
      return outcome(await browser.request(callback.href))
    },
    check: noSession,
    also: 'the provider refuses the used code (invalid_grant); no cookie set'
  },
  {
    id: 'D.63',
    name: 'OIDC ID token with another `nonce` (a real provider answer to an authorization request whose nonce was swapped)',
    expect: REJECTED,
    attack: async (target) => {
      const gateway = await setup(target)
      const browser = gateway.browser()
      const authorize = new URL(await browser.startLogin('alpha'))
      // Same state, PKCE challenge and client: only the nonce the ID token will carry is the attacker's.
      authorize.searchParams.set('nonce', 'attacker-chosen-nonce-0123456789')
      return outcome(await browser.request(await gateway.idps.alpha!.signIn(authorize.href, 'alice')))
    },
    check: noSession,
    also: 'state, binding and PKCE all valid: only the nonce check refuses it; no cookie set'
  },
  {
    id: 'D.64',
    name: 'OIDC answer of provider A (code, `state`, `iss`) brought to provider B\'s callback',
    expect: STATE_INVALID,
    attack: async (target) => {
      const gateway = await setup(target)
      const { browser, callback } = await callbackFor(gateway, 'alpha')
      const crossed = new URL(`/auth/oidc/beta/callback${callback.search}`, gateway.origin)
      return outcome(await browser.request(crossed.href))
    },
    check: noSession,
    also: 'a state begun for A is refused at B before any code exchange'
  },
  {
    id: 'D.64',
    name: 'OIDC code and ID token of provider A under a `state` begun for provider B (mix-up), with and without A\'s `iss`',
    expect: REJECTED,
    attack: async (target) => {
      const gateway = await setup(target)
      let last: Outcome | undefined
      for (const keepIss of [true, false]) {
        const browser = gateway.browser()
        const beta = new URL(await browser.startLogin('beta'))
        // An authorization request at A carrying B's state, PKCE challenge and nonce, to A's registered redirect URI.
        const alpha = new URL(gateway.idps.alpha!.issuer + '/auth')
        for (const [key, value] of beta.searchParams) alpha.searchParams.set(key, value)
        alpha.searchParams.set('client_id', 'authgate-alpha')
        alpha.searchParams.set('redirect_uri', `${gateway.origin}/auth/oidc/alpha/callback`)
        const answer = new URL(await gateway.idps.alpha!.signIn(alpha.href, 'alice'))
        const crossed = new URL(`/auth/oidc/beta/callback${answer.search}`, gateway.origin)
        if (!keepIss) crossed.searchParams.delete('iss')
        last = outcome(await browser.request(crossed.href))
        if (last.status !== 401) return last
      }
      return last as Outcome
    },
    check: noSession,
    also: 'with `iss` the RFC 9207 check refuses it; without, B\'s token endpoint does not know A\'s code; no cookie set'
  },
  {
    id: 'D.65',
    name: `OIDC open redirect through \`returnTo\` (${OPEN_REDIRECTS.map((value) => JSON.stringify(value)).join(', ')})`,
    expect: { status: 303, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await setup(target)
      let last: Outcome | undefined
      for (const returnTo of OPEN_REDIRECTS) {
        last = await returnToAfter(gateway, returnTo)
        if (last.headers.location !== '/') return last
      }
      return last as Outcome
    },
    check: (result) => { if (result.headers.location !== '/') throw new Error(`redirected to ${String(result.headers.location)}`) },
    also: 'every spelling signs in and lands on `/`'
  },
  {
    id: 'D.66',
    name: 'OIDC login and callback of an unknown provider (`nope`, `__proto__`, `constructor`)',
    expect: { status: 404, code: 'AUTH_NOT_FOUND', upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await setup(target)
      const browser = gateway.browser()
      let last: Outcome | undefined
      for (const name of ['nope', '__proto__', 'constructor']) {
        for (const path of [`/auth/oidc/${name}/login`, `/auth/oidc/${name}/callback?code=x&state=${'A'.repeat(43)}`]) {
          last = outcome(await browser.request(path))
          if (last.status !== 404) return last
        }
      }
      return last as Outcome
    }
  },
  {
    id: 'D.67',
    name: 'OIDC account whose unverified email is a registered user\'s (linkByVerifiedEmail on)',
    expect: { status: 200, upstream: 'n/a' },
    attack: async (target) => {
      const gateway = await setup(target)
      const registered = await gateway.browser().request('/auth/register', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'victim@example.com', password: 'correct horse battery staple' })
      })
      if (registered.status !== 201 && registered.status !== 409) throw new Error(`register answered ${registered.status}`)
      const browser = gateway.browser()
      const signedIn = await browser.signIn('alpha', 'mallory')
      if (signedIn.status !== 303) return outcome(signedIn)
      return outcome(await browser.request('/auth/refresh', { method: 'POST', headers: { origin: gateway.origin } }))
    },
    check: (result) => {
      const { user } = JSON.parse(result.body) as { user: { email: string | null } }
      if (user.email !== null) throw new Error(`signed in as ${user.email}`)
    },
    also: 'a new account without an email, never the victim\'s'
  },
  (() => {
    let attackerId: string | undefined
    return {
      id: 'D.68',
      name: 'OIDC account pre-hijacking: the victim\'s email registered with the attacker\'s password before the victim\'s first sign-in (provider-verified email, linkByVerifiedEmail on)',
      expect: { status: 200, upstream: 'n/a' },
      attack: async (target: AttackTarget): Promise<Outcome> => {
        const gateway = await setup(target)
        const registered = await gateway.browser().request('/auth/register', {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'carol@example.com', password: 'attacker chosen password' })
        })
        if (registered.status !== 201) throw new Error(`register answered ${registered.status}`)
        attackerId = (JSON.parse(registered.body) as { user: { id: string } }).user.id
        const victim = gateway.browser()
        const signedIn = await victim.signIn('beta', 'carol')
        if (signedIn.status !== 303) return outcome(signedIn)
        return outcome(await victim.request('/auth/refresh', { method: 'POST', headers: { origin: gateway.origin } }))
      },
      check: (result: Outcome) => {
        const { user } = JSON.parse(result.body) as { user: { id: string, email: string | null } }
        if (user.id === attackerId) throw new Error('the victim was signed in to the account the attacker registered (and holds the password of)')
        if (user.email !== null) throw new Error(`the victim's account took the registered email ${user.email}`)
      },
      also: 'the provider-verified sign-in never joins an account that has a password (its email was never verified): the victim gets an account of their own'
    } satisfies AttackCase
  })(),
  (() => {
    let ownerId: string | undefined
    return {
      id: 'D.69',
      name: 'OIDC recycled address: the provider asserts a verified email, now another subject\'s, that an account it made for its earlier subject holds (linkByVerifiedEmail on)',
      expect: { status: 200, upstream: 'n/a' },
      attack: async (target: AttackTarget): Promise<Outcome> => {
        const gateway = await setup(target)
        const leaver = gateway.browser()
        if ((await leaver.signIn('alpha', 'dora-leaver')).status !== 303) throw new Error('the leaver\'s sign-in failed')
        ownerId = (await leaver.accessToken()).user.id
        const newHire = gateway.browser()
        const signedIn = await newHire.signIn('alpha', 'dora-new-hire')
        if (signedIn.status !== 303) return outcome(signedIn)
        return outcome(await newHire.request('/auth/refresh', { method: 'POST', headers: { origin: gateway.origin } }))
      },
      check: (result: Outcome) => {
        const { user } = JSON.parse(result.body) as { user: { id: string, email: string | null } }
        if (user.id === ownerId) throw new Error('the new subject was signed in to the account the provider\'s earlier subject made')
        if (user.email !== null) throw new Error(`the new account took the address the earlier one holds: ${user.email}`)
      },
      also: 'a provider\'s verified email never joins an account that provider has bound to another `sub`: the new holder gets an account of their own'
    } satisfies AttackCase
  })()
]
