// Issue #12 item 2 in the gateway: its routes compile through the plugin's route policy, so the proxy path and
// forward-auth answer exactly what the policy table says (mode × roles × outcome over real HTTP), and a route
// naming a key the policy does not have is refused before anything starts.
import t from 'tap'
import { createPrivateKey, randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { parseConfig, type RouteConfig } from '../src/config.js'
import { routePolicyOf } from '../src/route-access.js'
import { startGateway, startUpstream } from './helpers.js'

type Outcome = 'no token' | 'valid, matching role' | 'valid, no matching role' | 'invalid' | 'expired'
const OUTCOMES: readonly Outcome[] = ['no token', 'valid, matching role', 'valid, no matching role', 'invalid', 'expired']

/** prefix, route policy, and the status each outcome must get (the table of packages/auth/test/helpers/policy-table.ts). */
const TABLE: readonly { prefix: string, auth: string, roles?: string[], expect: Record<Outcome, number> }[] = [
  { prefix: '/none', auth: 'none', expect: { 'no token': 200, 'valid, matching role': 200, 'valid, no matching role': 200, invalid: 200, expired: 200 } },
  { prefix: '/optional', auth: 'optional', expect: { 'no token': 200, 'valid, matching role': 200, 'valid, no matching role': 200, invalid: 401, expired: 401 } },
  { prefix: '/required', auth: 'required', expect: { 'no token': 401, 'valid, matching role': 200, 'valid, no matching role': 200, invalid: 401, expired: 401 } },
  { prefix: '/one', auth: 'required', roles: ['a'], expect: { 'no token': 401, 'valid, matching role': 200, 'valid, no matching role': 403, invalid: 401, expired: 401 } },
  { prefix: '/two', auth: 'required', roles: ['a', 'b'], expect: { 'no token': 401, 'valid, matching role': 200, 'valid, no matching role': 403, invalid: 401, expired: 401 } }
]
const CODE: Record<number, string | undefined> = { 401: undefined, 403: 'AUTH_FORBIDDEN' }

t.test('proxy path and forward-auth answer the policy table', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, { routes: TABLE.map(({ prefix, auth, roles }) => ({ prefix, upstream: upstream.url, auth, ...(roles === undefined ? {} : { roles }) })) })
  const now = Math.floor(Date.now() / 1000)
  const pem = gateway.key.privateKey
  if (pem === undefined) throw new Error('the gateway key has no private part')
  const privateKey = typeof pem === 'string' ? createPrivateKey(pem) : pem
  const expired = await new SignJWT({ sid: 's-expired', roles: ['a'], jti: 'j-expired' })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: gateway.key.kid })
    .setSubject('u1').setIssuer('authgate-test').setAudience('upstream').setIssuedAt(now - 4000).setExpirationTime(now - 3000)
    .sign(privateKey)
  const headers: Record<Outcome, Record<string, string>> = {
    'no token': {},
    'valid, matching role': { authorization: `Bearer ${gateway.token('u1', ['a'])}` },
    'valid, no matching role': { authorization: `Bearer ${gateway.token('u1', ['other'])}` },
    invalid: { authorization: 'Bearer x.y.z' },
    expired: { authorization: `Bearer ${expired}` }
  }
  const expiredAnswer = await fetch(`${gateway.origin}/required/x`, { headers: headers.expired })
  t.equal((await expiredAnswer.json() as { code: string }).code, 'AUTH_TOKEN_EXPIRED', 'the expired token is refused as expired')
  for (const { prefix, expect } of TABLE) {
    for (const outcome of OUTCOMES) {
      const before = upstream.seen.length
      const proxied = await fetch(`${gateway.origin}${prefix}/x`, { headers: headers[outcome] })
      const body = await proxied.text()
      t.equal(proxied.status, expect[outcome], `proxy ${prefix}, ${outcome}`)
      t.equal(upstream.seen.length - before, expect[outcome] === 200 ? 1 : 0, `proxy ${prefix}, ${outcome}: upstream ${expect[outcome] === 200 ? 'reached' : 'untouched'}`)
      const code = CODE[expect[outcome]]
      if (code !== undefined) t.match(body, `"code":"${code}"`)
      const verified = await fetch(`${gateway.origin}/auth/verify`, { headers: { ...headers[outcome], 'x-original-uri': `${prefix}/x` } })
      await verified.arrayBuffer()
      t.equal(verified.status, expect[outcome], `forward-auth ${prefix}, ${outcome}`)
    }
  }
})

t.test('a gateway route with a key the route policy does not have is refused at start-up, naming it', async (t) => {
  // A random secret: parseConfig runs the plugin's key checks too (a repeated character is refused).
  const key = { algorithm: 'HS256', kid: 'k', secret: randomBytes(36).toString('base64') }
  const config = (route: Record<string, unknown>): Record<string, unknown> => ({
    tokens: { issuer: 'i', audience: 'a', keys: [key] },
    routes: [{ prefix: '/reports', upstream: 'http://127.0.0.1:9', ...route }]
  })
  t.throws(() => parseConfig(config({ auth: 'required', scopes: ['read'] }), { file: 'test-config' }), /routes\[0\]\.scopes/, 'scopes beside auth')
  t.throws(() => parseConfig(config({ scopes: ['read'] }), { file: 'test-config' }), /routes\[0\]\.scopes/, 'scopes alone: never a public route')
  t.throws(() => parseConfig(config({ auth: 'requried' }), { file: 'test-config' }), /routes\[0\]\.auth/)
  t.throws(() => parseConfig(config({ auth: 'required', roles: 'admin' }), { file: 'test-config' }), /routes\[0\]\.roles/)
  t.throws(() => parseConfig(config({ auth: 'none', roles: ['admin'] }), { file: 'test-config' }), /routes\[0\]\.roles/)
})

t.test('the config reader checks auth and roles with the route policy itself: config check and start agree', async (t) => {
  // A random secret: parseConfig runs the plugin's key checks too (a repeated character is refused).
  const key = { algorithm: 'HS256', kid: 'k', secret: randomBytes(36).toString('base64') }
  const read = (route: Record<string, unknown>): RouteConfig | undefined => parseConfig({
    tokens: { issuer: 'i', audience: 'a', keys: [key] },
    routes: [{ prefix: '/reports', upstream: 'http://127.0.0.1:9', ...route }]
  }, { file: 'test-config' }).routes[0]
  // More roles than a token may carry (100): nothing unsafe in an any-of list; start used to refuse it with a
  // message about role names that config check had accepted.
  const many = Array.from({ length: 101 }, (_, index) => `role-${index}`)
  const route = read({ roles: many })
  if (route === undefined) throw new Error('no route read')
  t.same(routePolicyOf(route).roles, many, 'start compiles what config check accepted')
  t.throws(() => read({ auth: 'none', roles: ['admin'] }), /^test-config: invalid configuration \(1 problem\):\n {2}- routes\[0\]\.auth: is 'none' but the route names routes\[0\]\.roles/, 'the policy\'s own message')
  t.throws(() => read({ roles: ['a', 'a,b'] }), /^test-config: invalid configuration \(1 problem\):\n {2}- routes\[0\]\.roles\[1\]: must be a role name/)
  t.throws(() => read({ roles: [''] }), /routes\[0\]\.roles\[0\]: must be a role name/)
  t.throws(() => read({ roles: ['has space'] }), /routes\[0\]\.roles\[0\]: must be a role name headers can carry/, 'and the gateway\'s own limit on top')
  t.equal(read({ auth: null })?.auth, 'required', 'an empty YAML key is absent: required')
  t.equal(read({ roles: [] })?.auth, 'required')
  t.equal(read({ auth: 'optional', roles: ['a'] })?.auth, 'optional', 'optional with roles: the policy refuses anonymous callers (no longer a config error)')
})
