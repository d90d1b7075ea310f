// GET /auth/oidc/NAME/login under a flood (issue #14 item 2, second review): a client (IPv4 address, IPv6 /64) and
// its network (IPv4 /24, IPv6 /48) each have a cap of pending sign-ins; past it the client gets 429 with Retry-After
// and everyone else still signs in. The login rate limit of these routes counts per /64 too. The client address comes
// from X-Forwarded-For through a trusted proxy on loopback (server.trustProxy), as behind a real one.
import t from 'tap'
import { startOidcGateway, type OidcGateway } from './helpers/oidc-gateway.js'

const login = async (gateway: OidcGateway, ip: string) => {
  const response = await fetch(`${gateway.origin}/auth/oidc/test/login`, { headers: { 'x-forwarded-for': ip }, redirect: 'manual' })
  return { status: response.status, retryAfter: response.headers.get('retry-after'), code: response.status === 429 ? (await response.json() as { code: string }).code : undefined }
}

t.test('a full client or network bucket answers 429 AUTH_RATE_LIMITED with Retry-After; another /24 still gets its 302', async (t) => {
  const gateway = await startOidcGateway(t, { config: { server: { trustProxy: '127.0.0.1' }, rateLimit: false } })
  for (let i = 0; i < 32; i++) t.equal((await login(gateway, '192.0.2.1')).status, 302)
  const refused = await login(gateway, '192.0.2.1')
  t.equal(refused.status, 429, 'the client\'s 33rd pending sign-in')
  t.equal(refused.code, 'AUTH_RATE_LIMITED')
  t.match(refused.retryAfter, /^[1-9]\d*$/, 'Retry-After')
  for (let i = 0; i < 32; i++) t.equal((await login(gateway, '192.0.2.2')).status, 302)
  const network = await login(gateway, '192.0.2.77')
  t.equal(network.status, 429, 'a fresh address of the full /24')
  t.equal(network.code, 'AUTH_RATE_LIMITED')
  t.match(network.retryAfter, /^[1-9]\d*$/)
  t.equal((await login(gateway, '192.0.3.1')).status, 302, 'the next /24 signs in')
  for (let i = 0; i < 32; i++) t.equal((await login(gateway, `2001:db8:1:1::${i + 1}`)).status, 302)
  t.equal((await login(gateway, '2001:db8:1:1::ffff')).status, 429, 'another address of the same /64')
  t.equal((await login(gateway, '2001:db8:1:2::1')).status, 302, 'another /64')
})

t.test('the sign-in routes\' rate limit counts an IPv6 client by its /64', async (t) => {
  const gateway = await startOidcGateway(t, { config: { server: { trustProxy: '127.0.0.1' }, rateLimit: { login: { max: 3, timeWindow: '1m' } } } })
  for (let i = 0; i < 3; i++) t.equal((await login(gateway, `2001:db8:7:1::${i + 1}`)).status, 302)
  const limited = await login(gateway, '2001:db8:7:1::99')
  t.equal(limited.status, 429, 'a fourth address of the /64 shares the limit')
  t.equal(limited.code, 'AUTH_RATE_LIMITED')
  t.match(limited.retryAfter, /^[1-9]\d*$/)
  t.equal((await login(gateway, '2001:db8:7:2::1')).status, 302, 'another /64 has its own')
  for (let i = 0; i < 3; i++) t.equal((await login(gateway, `198.51.100.${i + 1}`)).status, 302, 'IPv4 addresses each have their own')
})

t.test('refused sign-ins are logged once per kind per interval, not once per request', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logStream = { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } }
  const gateway = await startOidcGateway(t, { config: { server: { trustProxy: '127.0.0.1' }, rateLimit: false }, logStream })
  for (let i = 0; i < 32; i++) t.equal((await login(gateway, '192.0.2.1')).status, 302)
  for (let i = 0; i < 25; i++) t.equal((await login(gateway, '192.0.2.1')).status, 429)
  const refusals = () => lines.filter((line) => line.event === 'oidc_login_refused')
  t.equal(refusals().length, 1, '25 refused requests, one warning line')
  t.match(refusals()[0], { level: 40, reason: 'too many pending sign-ins from this client', ip: '192.0.2.1' })
  // Forged callbacks are as cheap to send: one line for all of them too.
  for (let i = 0; i < 25; i++) {
    const response = await fetch(`${gateway.origin}/auth/oidc/test/callback?code=x&state=${'A'.repeat(43)}`, { redirect: 'manual' })
    t.equal(response.status, 400)
  }
  t.equal(lines.filter((line) => line.event === 'oidc_refused').length, 1, '25 forged callbacks, one warning line')
})

t.test('refused provider answers are throttled per class: a flood of cancelled sign-ins hides no other refusal', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logStream = { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>) } }
  const gateway = await startOidcGateway(t, { config: { rateLimit: false }, logStream })
  const issuer = gateway.idps.test?.issuer ?? ''
  // A real state and binding cookie each time (the callback is refused before the provider's answer is read otherwise).
  const callback = async (query: Record<string, string>) => {
    const browser = gateway.browser()
    const state = new URL(await browser.startLogin('test')).searchParams.get('state') ?? ''
    return (await browser.request(`/auth/oidc/test/callback?${new URLSearchParams({ state, ...query }).toString()}`)).status
  }
  const rejected = () => lines.filter((line) => line.event === 'oidc_refused' && line.code === 'AUTH_OIDC_REJECTED')
  for (let i = 0; i < 5; i++) t.equal(await callback({ error: 'access_denied', iss: issuer }), 401, 'the user cancelled at the provider')
  t.equal(rejected().length, 1, 'five cancellations, one line')
  t.match(rejected()[0], { level: 40, rejection: 'provider-error', provider: 'test' })
  t.equal(await callback({ code: 'not-issued-by-the-provider', iss: issuer }), 401, 'a code the provider refuses')
  t.match(rejected()[1], { rejection: 'code-refused', provider: 'test' }, 'logged while cancellations are throttled')
  t.equal(await callback({ code: 'x', iss: 'https://other-provider.example' }), 401, 'a mix-up: another issuer')
  t.match(rejected()[2], { rejection: 'callback-invalid', provider: 'test' }, 'logged too')
  t.equal(await callback({ error: 'access_denied', iss: issuer }), 401)
  t.equal(rejected().length, 3, 'cancellations are still held back')
})
