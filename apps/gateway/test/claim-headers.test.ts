// headers.claims and headers.preset (issue #14 item 4): verified claims forwarded as headers on proxied requests and
// in /auth/verify answers, client copies of every configured name dropped, values that cannot be a header omitted.
import t from 'tap'
import { decodeJwt } from 'jose'
import { generateKey } from '@authgate/fastify/tokens'
import { parseConfig } from '../src/config.js'
import { createHeaderPolicy, setIdentityHeaders } from '../src/headers.js'
import { rawGet, rawRequest, startGateway, startUpstream } from './helpers.js'

const CLAIMS = { 'x-token-id': 'jti', 'X-Tenant': 'iss', 'x-groups': 'roles' }

t.test('proxied: mapped claims and the oauth2-proxy preset arrive; every client copy, in any spelling, is dropped', async (t) => {
  const upstream = await startUpstream(t)
  const gateway = await startGateway(t, {
    headers: { claims: CLAIMS, preset: 'oauth2-proxy' },
    routes: [{ prefix: '/api', upstream: upstream.url, auth: 'required' }, { prefix: '/public', upstream: upstream.url, auth: 'none' }]
  })
  const token = gateway.token('u1', ['user', 'ops'], 'session-1')
  const forged = ['X-Token-Id: evil', 'x_tenant: evil', 'X-Groups: admin', 'X-Auth-Request-Email: boss@example.com', 'X-Auth-Request-Preferred-Username: boss', 'X-Auth-Request-User: admin']
  const answer = await rawRequest(gateway.port, rawGet('/api/x', [`Authorization: Bearer ${token}`, ...forged]))
  t.equal(answer.status, 200)
  const seen = upstream.seen[0]!
  const jti = (decodeJwt(token).jti as string)
  t.equal(seen.headers['x-token-id'], jti)
  t.equal(seen.headers['x-tenant'], 'authgate-test')
  t.equal(seen.headers['x-groups'], 'user,ops')
  t.equal(seen.headers['x-auth-request-user'], 'u1')
  t.equal(seen.headers['x-auth-request-groups'], 'user,ops')
  t.equal(seen.headers['x-auth-request-email'], undefined, 'our own tokens carry no email: no header, and the forged one is gone')
  t.equal(seen.headers['x-auth-request-preferred-username'], undefined)
  t.equal(seen.rawHeaders.filter((_value, index) => index % 2 === 0 && /^x[-_]tenant$/i.test(seen.rawHeaders[index] ?? '')).length, 1)

  // Anonymous route: no claim header at all, forged ones dropped.
  await rawRequest(gateway.port, rawGet('/public/x', forged))
  const open = upstream.seen[1]!
  for (const name of ['x-token-id', 'x-tenant', 'x_tenant', 'x-groups', 'x-auth-request-email', 'x-auth-request-user', 'x-auth-request-preferred-username']) {
    t.equal(open.headers[name], undefined, `${name} not forwarded on a public route`)
  }

  // The same headers in the forward-auth answer.
  const verified = await fetch(`${gateway.origin}/auth/verify`, { headers: { authorization: `Bearer ${token}`, 'x-original-uri': '/api/x' } })
  t.equal(verified.status, 200)
  t.equal(verified.headers.get('x-token-id'), jti)
  t.equal(verified.headers.get('x-auth-request-user'), 'u1')
  t.equal(verified.headers.get('x-auth-request-groups'), 'user,ops')
})

t.test('an upstream echoing a claim header back does not reach the client', async (t) => {
  const upstream = await startUpstream(t)
  upstream.handle((_request, response) => { response.writeHead(200, { 'x-tenant': 'leak', 'x-auth-request-user': 'leak' }); response.end('ok') })
  const gateway = await startGateway(t, { headers: { claims: CLAIMS, preset: 'oauth2-proxy' }, routes: [{ prefix: '/public', upstream: upstream.url, auth: 'none' }] })
  const answer = await fetch(`${gateway.origin}/public/x`)
  t.equal(answer.headers.get('x-tenant'), null)
  t.equal(answer.headers.get('x-auth-request-user'), null)
})

t.test('claim values: printable, bounded, no CR/LF or comma in single values; lists comma-joined; others omitted', async (t) => {
  const key = generateKey('EdDSA')
  const config = parseConfig({
    tokens: { issuer: 'i', audience: 'a', keys: [key] },
    headers: { claims: { 'x-user-email': 'email', 'x-user-name': 'name', 'x-tenant': 'org_id', 'x-groups': 'groups', 'x-level': 'level', 'x-proto': '__proto__x' } },
    routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }]
  })
  const policy = createHeaderPolicy(config)
  const gateway = await startGateway(t, { routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] })
  const tokens = gateway.app.authgate.tokens
  const base = { sub: 'u1', sid: 's1', roles: ['user'], iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60, iss: 'authgate-test', aud: 'upstream', jti: 'j' }
  const headersOf = (extra: Record<string, unknown>): Record<string, unknown> => {
    const out = {}
    setIdentityHeaders(out, Object.freeze({ ...base, ...extra }), '/api', policy, tokens)
    return out
  }
  const good = headersOf({ email: 'ada@example.com', name: 'Ada Lovelace', org_id: 42, groups: ['a', 'b'], level: true })
  t.match(good, { 'x-user-email': 'ada@example.com', 'x-user-name': 'Ada Lovelace', 'x-tenant': '42', 'x-groups': 'a,b', 'x-level': 'true' })
  t.equal(decodeJwt(good['x-authgate-assertion'] as string).email, 'ada@example.com', 'the assertion carries the email')

  const bad = headersOf({
    email: 'a@b.c\r\nX-Evil: 1', name: 'Lovelace, Ada', org_id: 'x\ny', groups: ['a', 'b,c'], level: { nested: 1 }
  })
  for (const name of ['x-user-email', 'x-user-name', 'x-tenant', 'x-groups', 'x-level']) t.equal(bad[name], undefined, `${name} omitted`)
  t.equal(bad['x-user-id'], 'u1', 'the identity itself still goes')
  const more = headersOf({ name: ' Ada', email: 'é@example.com', org_id: 'x'.repeat(1025), groups: 'single', level: Number.NaN })
  for (const name of ['x-user-email', 'x-user-name', 'x-tenant', 'x-level']) t.equal(more[name], undefined, `${name} omitted`)
  t.equal(more['x-groups'], 'single', 'a list claim given as one string is one member')
  t.equal(headersOf({ groups: 'a,b' })['x-groups'], undefined, 'a list member holding a comma is never forwarded')
  t.equal(headersOf({ groups: ['a', 7] })['x-groups'], undefined, 'a list with a non-string member is never forwarded')
  t.equal(headersOf({})['x-user-email'], undefined)
  t.equal(decodeJwt(headersOf({})['x-authgate-assertion'] as string).email, undefined, 'no email claim, no email in the assertion')
})

t.test('configuration errors name the key', async (t) => {
  const base = { tokens: { keys: [generateKey('EdDSA')] }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] }
  const parse = (headers: unknown) => () => parseConfig({ ...base, headers }, { file: 'f.yaml' })
  t.throws(parse({ preset: 'pomerium' }), /headers\.preset: must be one of oauth2-proxy/)
  t.throws(parse({ claims: ['email'] }), /headers\.claims: must be an object/)
  t.throws(parse({ claims: { 'x user': 'email' } }), /headers\.claims\.x user: must be keyed by a header name/)
  t.throws(parse({ claims: { host: 'email' } }), /cannot set host/)
  t.throws(parse({ claims: { 'x-forwarded-for': 'email' } }), /cannot set x-forwarded-for/)
  t.throws(parse({ claims: { authorization: 'email' } }), /cannot set authorization/)
  t.throws(parse({ claims: { 'x-user-id': 'email' } }), /already an identity header/)
  t.throws(parse({ preset: 'oauth2-proxy', claims: { 'x-auth-request-email': 'mail' } }), /named twice/)
  t.throws(parse({ claims: { 'x-a': 'has space' } }), /must name a claim/)
  t.throws(parse({ claims: { 'x-a': '__proto__' } }), /cannot read the claim __proto__/)
  t.throws(parse({ claims: { 'x-a': 7 } }), /headers\.claims\.x-a: must be a string/)
  const config = parseConfig({ ...base, headers: { claims: { 'X_User_Email': 'email' } } })
  t.same(config.claimHeaders, [{ name: 'x-user-email', claim: 'email', list: false }])
  t.throws(() => parseConfig({ ...base, auth: { verifyPath: '/verify' } }), /auth\.verifyPath: must be a plain path under \/auth\//)
  t.throws(() => parseConfig({ ...base, auth: { verifyPath: '/auth/login' } }), /is an authgate endpoint already/)
  t.equal(parseConfig(base).verifyPath, '/auth/verify')
})
