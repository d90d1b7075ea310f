// OIDC sign-in end to end over real HTTP (issue #14 item 2): the gateway, a real OpenID Provider (oidc-provider on
// loopback) and the real database. login → provider (its login form, completed over HTTP) → callback → a normal
// authgate session: the refresh cookie works, /auth/me names the user, the session is listed; users are linked by
// (provider, sub).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { useTestDatabase } from '@authgate/test-kit/database'
import { MemorySessionStore } from '@authgate/fastify'
import { startOidcGateway } from './helpers/oidc-gateway.js'

const ACCOUNTS = {
  alice: { email: 'alice@example.com', email_verified: true, name: 'Alice' },
  mallory: { email: 'victim@example.com', email_verified: false, name: 'Mallory' },
  blank: { email: '', email_verified: true, name: 'Blank' },
  junk: { email: 'not an address', email_verified: true, name: 'Junk' }
}

t.test('sign in through the provider: session, refresh, /auth/me, session list, same user next time', async (t) => {
  const db = await useTestDatabase(t, 'oidc_signin')
  const gateway = await startOidcGateway(t, { accounts: ACCOUNTS, storeConfig: { mongodb: { url: db.url, database: db.name } } })
  const events: string[] = []
  gateway.app.authgate.events.on('login', (event) => { events.push(`login:${event.userId}`) })
  gateway.app.authgate.events.on('newDevice', (event) => { events.push(`newDevice:${event.userId}`) })
  const browser = gateway.browser()

  const authorize = new URL(await browser.startLogin('test', '/demo/?x=1'))
  t.equal(authorize.origin, gateway.idps.test?.issuer, 'redirected to the provider')
  t.match(Object.fromEntries(authorize.searchParams), {
    response_type: 'code', client_id: 'authgate-test', code_challenge_method: 'S256', scope: 'openid email profile',
    redirect_uri: `${gateway.origin}/auth/oidc/test/callback`, state: /^[\w-]{43}$/, nonce: /^[\w-]{43}$/, code_challenge: /^[\w-]{43}$/
  })
  t.ok(browser.cookies.has('authgate_rt_oidc'), 'the browser-binding cookie is set')

  const callback = await browser.request(await gateway.idps.test!.signIn(authorize.href, 'alice'))
  t.equal(callback.status, 303, callback.body)
  t.equal(callback.location, '/demo/?x=1', 'sent on to returnTo')
  t.notOk(/token|code=/i.test(callback.location ?? ''), 'no token in the URL')
  const refreshCookie = callback.setCookies.find((line) => line.startsWith('authgate_rt='))
  t.match(refreshCookie, /HttpOnly/i)
  t.match(refreshCookie, /SameSite=Strict/i)
  t.match(refreshCookie, /Path=\/auth/)
  t.ok(callback.setCookies.some((line) => line.startsWith('authgate_did=')), 'the device cookie is set')
  t.notOk(browser.cookies.has('authgate_rt_oidc'), 'the binding cookie is cleared')

  const { accessToken, user } = await browser.accessToken()
  t.equal(user.email, 'alice@example.com', 'the verified email is the account\'s')
  t.same(events.sort(), [`login:${user.id}`, `newDevice:${user.id}`], 'the login and newDevice events of a normal login')
  const me = await browser.request('/auth/me', { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(me.status, 200)
  t.match(JSON.parse(me.body), { user: { id: user.id, email: 'alice@example.com' }, claims: { sub: user.id } })
  const sessions = await browser.request('/auth/sessions', { headers: { authorization: `Bearer ${accessToken}` } })
  const list = JSON.parse(sessions.body) as Array<{ current: boolean }>
  t.equal(list.length, 1, 'the session is listed')
  t.equal(list[0]?.current, true)
  t.equal(await db.db.collection('identities').countDocuments({ provider: 'test', subject: 'alice', userId: user.id }), 1, 'linked by (provider, sub)')
  const stored = await db.db.collection('users').findOne({ _id: user.id as unknown as never })
  t.equal(stored?.passwordHash, undefined, 'a user without a password')

  // A second sign-in in another browser: the same user, a second session.
  const second = gateway.browser()
  t.equal((await second.signIn('test', 'alice')).status, 303)
  t.equal((await second.accessToken()).user.id, user.id, 'the same user, found by (provider, sub)')
  t.equal(await db.db.collection('sessions').countDocuments({ userId: user.id }), 2)
  t.equal(await db.db.collection('oidcStates').countDocuments({}), 0, 'every login state was used up')
})

t.test('an unverified email is neither linked nor stored', async (t) => {
  const gateway = await startOidcGateway(t, { accounts: ACCOUNTS, linkByVerifiedEmail: true, config: { auth: { registration: true } } })
  const registered = await fetch(`${gateway.origin}/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'victim@example.com', password: 'correct horse battery staple' })
  })
  t.equal(registered.status, 201)
  const victim = (await registered.json() as { user: { id: string } }).user.id
  const browser = gateway.browser()
  t.equal((await browser.signIn('test', 'mallory')).status, 303)
  const { user } = await browser.accessToken()
  t.not(user.id, victim, 'a new account, not the victim\'s')
  t.equal(user.email, null, 'without the unverified email')
})

t.test('linkByVerifiedEmail: a verified email signs in to the account another provider made for it; off, it gets its own', async (t) => {
  for (const link of [true, false]) {
    const gateway = await startOidcGateway(t, { providers: ['alpha', 'beta'], accounts: ACCOUNTS, linkByVerifiedEmail: link })
    const first = gateway.browser()
    t.equal((await first.signIn('alpha', 'alice')).status, 303)
    const existing = (await first.accessToken()).user
    t.equal(existing.email, 'alice@example.com')
    const second = gateway.browser()
    t.equal((await second.signIn('beta', 'alice')).status, 303)
    const { user } = await second.accessToken()
    if (link) t.equal(user.id, existing.id, 'linked to the account alpha made')
    else t.same([user.id !== existing.id, user.email], [true, null], 'not linked: a new account, without the taken email')
  }
})

t.test('linkByVerifiedEmail never joins an account with a password (its email was never verified: pre-hijacking)', async (t) => {
  const gateway = await startOidcGateway(t, { accounts: ACCOUNTS, linkByVerifiedEmail: true, config: { auth: { registration: true } } })
  const registered = await fetch(`${gateway.origin}/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'alice@example.com', password: 'correct horse battery staple' })
  })
  t.equal(registered.status, 201)
  const passwordAccount = (await registered.json() as { user: { id: string } }).user.id
  const browser = gateway.browser()
  t.equal((await browser.signIn('test', 'alice')).status, 303)
  const { user } = await browser.accessToken()
  t.not(user.id, passwordAccount, 'a new account, not the one whose registrant holds a password')
  t.equal(user.email, null, 'without the email the password account holds')
  const login = await fetch(`${gateway.origin}/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: gateway.origin }, body: JSON.stringify({ email: 'alice@example.com', password: 'correct horse battery staple' })
  })
  t.equal(login.status, 200)
  t.equal((await login.json() as { user: { id: string } }).user.id, passwordAccount, 'the password opens only the password account')
})

t.test('linkByVerifiedEmail never joins a recycled address to the account another subject of the same provider holds', async (t) => {
  const db = await useTestDatabase(t, 'oidc_recycled')
  const accounts = { ...ACCOUNTS, leaver: { email: 'ann@example.com', email_verified: true }, 'new-hire': { email: 'ann@example.com', email_verified: true } }
  const gateway = await startOidcGateway(t, { providers: ['alpha', 'beta'], accounts, linkByVerifiedEmail: true, storeConfig: { mongodb: { url: db.url, database: db.name } } })
  const leaver = gateway.browser()
  t.equal((await leaver.signIn('alpha', 'leaver')).status, 303)
  const owner = (await leaver.accessToken()).user
  t.equal(owner.email, 'ann@example.com')
  // The provider gives the address to a new employee (another sub), and says it is verified.
  const newHire = gateway.browser()
  t.equal((await newHire.signIn('alpha', 'new-hire')).status, 303)
  const { user } = await newHire.accessToken()
  t.not(user.id, owner.id, 'a new account, not the leaver\'s')
  t.equal(user.email, null, 'without the address the leaver\'s account holds')
  t.equal(await db.db.collection('identities').countDocuments({ provider: 'alpha', userId: owner.id }), 1, 'alpha binds the leaver\'s account to one subject')
  // Another provider's first subject with that verified address still joins (what linkByVerifiedEmail is for).
  const elsewhere = gateway.browser()
  t.equal((await elsewhere.signIn('beta', 'leaver')).status, 303)
  t.equal((await elsewhere.accessToken()).user.id, owner.id, 'beta joins the account')
})

t.test('an empty or invalid email from the provider is absent: null in /auth/me and refresh, never \'\'', async (t) => {
  const gateway = await startOidcGateway(t, { accounts: ACCOUNTS })
  for (const account of ['blank', 'junk']) {
    const browser = gateway.browser()
    t.equal((await browser.signIn('test', account)).status, 303)
    const { accessToken, user } = await browser.accessToken()
    t.equal(user.email, null, `${account}: refresh answers no email`)
    const me = await browser.request('/auth/me', { headers: { authorization: `Bearer ${accessToken}` } })
    t.equal(me.status, 200)
    const body = JSON.parse(me.body) as { user: { email: unknown }, claims: Record<string, unknown> }
    t.equal(body.user.email, null, `${account}: /auth/me answers no email`)
    t.notOk(Object.hasOwn(body.claims, 'email'), `${account}: no email claim`)
  }
})

t.test('the binding cookie is __Host- whenever it is Secure, whatever the refresh cookie is called', async (t) => {
  const cases = [
    { cookie: { secure: true }, name: '__Host-authgate_rt_oidc', path: '/' },
    { cookie: { secure: true, name: '__Secure-rt' }, name: '__Host-rt_oidc', path: '/' },
    { cookie: { secure: true, name: '__Host-rt' }, name: '__Host-rt_oidc', path: '/' },
    { cookie: { secure: false }, name: 'authgate_rt_oidc', path: '/auth/oidc' }
  ]
  // An upstream that reports the Cookie header it received and tries to set the cookie it was sent.
  let setBack = ''
  const upstream = createServer((request, response) => {
    response.setHeader('set-cookie', [`${setBack}=${'u'.repeat(43)}; Path=/`, 'upstream_own=1; Path=/'])
    response.end(request.headers.cookie ?? '')
  })
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { upstream.closeAllConnections(); upstream.close(() => { resolve() }) }))
  const routes = [{ prefix: '/echo', upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, auth: 'none' }]
  for (const expected of cases) {
    const gateway = await startOidcGateway(t, { accounts: ACCOUNTS, routes, config: { cookie: expected.cookie } })
    const browser = gateway.browser()
    const login = await browser.request('/auth/oidc/test/login')
    t.equal(login.status, 302)
    t.equal(login.setCookies.length, 1, 'one cookie: the binding one')
    const line = login.setCookies[0]
    t.ok(line?.startsWith(`${expected.name}=`), `${JSON.stringify(expected.cookie)}: named ${expected.name} (${line?.split('=')[0]})`)
    t.match(line, new RegExp(`; Path=${expected.path.replaceAll('/', '\\/')}(;|$)`, 'i'))
    t.notMatch(line, /Domain=/i)
    if (expected.cookie.secure) t.match(line, /; Secure/i)
    // The name the plugin really set is the one the gateway strips (one rule, binding-cookie.ts): both ways.
    setBack = line?.split('=')[0] ?? ''
    t.ok(browser.cookies.has(setBack), 'the browser holds it')
    browser.cookies.set('keep', '1')
    const proxied = await browser.request('/echo/')
    t.equal(proxied.status, 200)
    t.equal(proxied.body, 'keep=1', `${setBack}: not passed upstream`)
    t.same(proxied.setCookies.map((cookie) => cookie.split('=')[0]), ['upstream_own'], `${setBack}: an upstream cannot set it`)
    // The whole sign-in still works with it (the callback reads the same name).
    const callback = await browser.request(await gateway.idps.test!.signIn(login.location ?? '', 'alice'))
    t.equal(callback.status, 303, callback.body)
  }
})

t.test('a deleted user is never brought back by its identity link: a fresh account once the link is stale', async (t) => {
  const db = await useTestDatabase(t, 'oidc_deleted')
  const gateway = await startOidcGateway(t, { accounts: ACCOUNTS, storeConfig: { mongodb: { url: db.url, database: db.name } } })
  const first = gateway.browser()
  t.equal((await first.signIn('test', 'alice')).status, 303)
  const old = (await first.accessToken()).user
  const users = db.db.collection<{ _id: string }>('users')
  t.equal((await users.deleteOne({ _id: old.id })).deletedCount, 1, 'the operator deletes the user (its link stays behind)')

  // A link just made may belong to a first sign-in still creating its user: waited for, never created by another.
  const early = await gateway.browser().signIn('test', 'alice')
  t.equal(early.status, 503, early.body)
  t.equal(await users.countDocuments({ _id: old.id }), 0, 'the deleted id was not recreated')

  await db.db.collection('identities').updateOne({ provider: 'test', subject: 'alice' }, { $set: { createdAt: new Date(Date.now() - 120_000) } })
  const later = gateway.browser()
  t.equal((await later.signIn('test', 'alice')).status, 303)
  const fresh = (await later.accessToken()).user
  t.not(fresh.id, old.id, 'a new account with a new id')
  t.equal(fresh.email, 'alice@example.com', 'the deleted account\'s email is free again')
  t.equal(await users.countDocuments({ _id: old.id }), 0, 'the deleted id stays deleted')
  t.equal((await db.db.collection('identities').findOne({ provider: 'test', subject: 'alice' }))?.userId, fresh.id, 'the link names the new account')
  const stale = await first.request('/auth/refresh', { method: 'POST', headers: { origin: gateway.origin } })
  t.equal(stale.status, 401, 'the deleted user\'s session does not come back either')
})

t.test('unlinkUser: the next sign-in of the identity is a first one (a new account)', async (t) => {
  const store = new MemorySessionStore()
  const gateway = await startOidcGateway(t, { accounts: ACCOUNTS, store })
  const first = gateway.browser()
  t.equal((await first.signIn('test', 'alice')).status, 303)
  const old = (await first.accessToken()).user
  t.equal(await store.oidcStore().unlinkUser(old.id), 1)
  const next = gateway.browser()
  t.equal((await next.signIn('test', 'alice')).status, 303)
  const fresh = (await next.accessToken()).user
  t.not(fresh.id, old.id, 'not the unlinked account')
  t.equal(fresh.email, null, 'the old account keeps its email')
})
