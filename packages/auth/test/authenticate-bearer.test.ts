// The request authenticator: bearer parsing (A.1), header-only tokens (A.21), revocation (A.22), roles, and the
// preHandler/sendAuthError answers through a real Fastify app.
import t, { type Test } from 'tap'
import { connect } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { AuthError } from '../src/errors.js'
import { createAuthenticator, createAuthPreHandler, readBearerToken, sendAuthError } from '../src/http/authenticate.js'
import { checkRoles } from '../src/route-policy/index.js'
import type { RevocationList } from '../src/tokens/index.js'
import { ACCESS_TTL, codeOf, service } from './helpers/keys.js'

const tokens = service('EdDSA')
const issued = tokens.sign({ sub: 'u1', sid: 'session-1', roles: ['user'] })
const token = issued.token

function fakeList (revoked: string[], stale = false): RevocationList {
  const set = new Set(revoked)
  return { isRevoked: (sid) => set.has(sid), add: (sid) => { set.add(sid) }, start () {}, stop () {}, get size () { return set.size }, stale }
}

t.test('readBearerToken', async (t) => {
  const codeOfRead = (value: string | string[] | undefined): string | null => {
    const result = readBearerToken(value)
    return result instanceof AuthError ? result.code : result
  }
  t.equal(codeOfRead(undefined), null, 'absent')
  t.equal(codeOfRead([]), null, 'no header lines')
  t.equal(codeOfRead(`Bearer ${token}`), token)
  t.equal(codeOfRead(`bearer ${token}`), token, 'scheme is case-insensitive')
  t.equal(codeOfRead(`BEARER ${token}`), token)
  t.equal(codeOfRead([`Bearer ${token}`]), token, 'one line as an array')
  t.equal(codeOfRead('Bearer abc+/~_-.x=='), 'abc+/~_-.x==', 'RFC 6750 b64token characters')
  t.equal(codeOfRead(''), 'AUTH_TOKEN_MISSING', 'empty header')
  t.equal(codeOfRead(`Basic ${token}`), 'AUTH_TOKEN_MISSING', 'another scheme')
  t.equal(codeOfRead('Negotiate'), 'AUTH_TOKEN_MISSING', 'another scheme without credentials')
  t.equal(codeOfRead(`Bearerx ${token}`), 'AUTH_TOKEN_MISSING', 'a longer scheme name')
  t.equal(codeOfRead(token), 'AUTH_TOKEN_MISSING', 'a bare token')
  t.equal(codeOfRead('Bearer'), 'AUTH_TOKEN_INVALID', 'Bearer without a token')
  t.equal(codeOfRead('Bearer '), 'AUTH_TOKEN_INVALID', 'Bearer with an empty token')
  t.equal(codeOfRead(`Bearer  ${token}`), 'AUTH_TOKEN_INVALID', 'two spaces')
  t.equal(codeOfRead(`Bearer ${token} x`), 'AUTH_TOKEN_INVALID', 'a space inside')
  t.equal(codeOfRead(`Bearer\t${token}`), 'AUTH_TOKEN_MISSING', 'a tab is not the separator')
  t.equal(codeOfRead('Bearer ab=c'), 'AUTH_TOKEN_INVALID', '= inside the token')
  t.equal(codeOfRead([`Bearer ${token}`, `Bearer ${token}`]), 'AUTH_TOKEN_INVALID', 'several Authorization headers')
})

t.test('authenticate: outcomes and exact codes', async (t) => {
  const auth = createAuthenticator({ tokens, revocations: fakeList(['revoked-session']) })
  t.equal(codeOf(auth.authenticate({})), 'AUTH_TOKEN_MISSING')
  t.equal(codeOf(auth.authenticate({ authorization: `Bearer ${token}` })), 'OK')
  t.equal(codeOf(auth.authenticate({ authorization: `bearer ${token}` })), 'OK')
  t.equal(codeOf(auth.authenticate({ authorization: `Basic ${token}` })), 'AUTH_TOKEN_MISSING')
  t.equal(codeOf(auth.authenticate({ authorization: 'Bearer x.y.z' })), 'AUTH_TOKEN_INVALID')
  t.equal(codeOf(auth.authenticate({ authorization: `Bearer ${token}` }, ['Authorization', `Bearer ${token}`, 'authorization', 'Bearer x'])), 'AUTH_TOKEN_INVALID', 'two Authorization lines in rawHeaders')
  t.equal(codeOf(auth.authenticate({ authorization: `Bearer ${token}` }, ['Host', 'a', 'Authorization', `Bearer ${token}`])), 'OK', 'one line in rawHeaders')
  t.equal(codeOf(auth.authenticate({ cookie: `access_token=${token}`, 'x-access-token': token })), 'AUTH_TOKEN_MISSING', 'other headers are never read')

  const revokedToken = tokens.sign({ sub: 'u1', sid: 'revoked-session', roles: [] }).token
  t.equal(codeOf(auth.authenticate({ authorization: `Bearer ${revokedToken}` })), 'AUTH_SESSION_REVOKED', 'A.22: a revoked sid')
  const stale = createAuthenticator({ tokens, revocations: fakeList([], true) })
  const outcome = stale.authenticate({ authorization: `Bearer ${token}` })
  t.equal(codeOf(outcome), 'AUTH_STORE_UNAVAILABLE', 'a stale list fails closed')
  if (!outcome.ok) t.equal(outcome.error.statusCode, 503)
  t.equal(codeOf(stale.authenticate({ authorization: 'Bearer x.y.z' })), 'AUTH_TOKEN_INVALID', 'an invalid token is still 401')
  const noList = createAuthenticator({ tokens })
  t.equal(codeOf(noList.authenticate({ authorization: `Bearer ${revokedToken}` })), 'OK', 'without a list, valid until exp')
  t.ok(issued.claims.exp - issued.claims.iat <= ACCESS_TTL, 'A.22: issued exp - iat ≤ configured TTL')
})

t.test('checkRoles: at least one of the listed roles', async (t) => {
  const claims = { roles: ['user', 'billing'] }
  t.ok(checkRoles(claims, []), 'no role required')
  t.ok(checkRoles(claims, ['billing']))
  t.ok(checkRoles(claims, ['admin', 'billing']), 'any-of')
  t.notOk(checkRoles(claims, ['admin']))
  t.notOk(checkRoles({ roles: [] }, ['admin']))
  t.notOk(checkRoles(claims, ['User']), 'case-sensitive')
})

async function buildApp (t: Test): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  const auth = createAuthenticator({ tokens, revocations: fakeList(['revoked-session']) })
  app.decorateRequest('user', null)
  app.addHook('preHandler', createAuthPreHandler(auth))
  const whoami = async (request: { user: unknown }): Promise<unknown> => ({ user: request.user })
  app.get('/required', whoami)
  app.post('/required', whoami)
  app.get('/optional', { config: { auth: 'optional' } }, whoami)
  app.get('/public', { config: { auth: 'none' } }, whoami)
  app.get('/optional-admin', { config: { auth: 'optional', roles: ['admin'] } }, whoami)
  app.get('/admin', { config: { roles: ['admin', 'ops'] } }, whoami)
  app.get('/user', { config: { roles: ['ops', 'user'] } }, whoami)
  app.get('/unavailable', { config: { auth: 'none' } }, async (_request, reply) => sendAuthError(reply, new AuthError('AUTH_KEYS_UNAVAILABLE', { retryAfter: 5 })))
  await app.ready()
  return app
}

t.test('preHandler and sendAuthError through Fastify', async (t) => {
  const app = await buildApp(t)
  const bearer = { authorization: `Bearer ${token}` }
  let response = await app.inject({ url: '/required' })
  t.equal(response.statusCode, 401)
  t.same(response.json(), { statusCode: 401, code: 'AUTH_TOKEN_MISSING', error: 'Unauthorized', message: 'An access token is required' })
  t.equal(response.headers['www-authenticate'], 'Bearer realm="authgate"')
  t.match(response.headers['content-type'], /application\/json/)

  response = await app.inject({ url: '/required', headers: { authorization: 'Bearer x.y.z' } })
  t.equal(response.json().code, 'AUTH_TOKEN_INVALID')
  t.equal(response.headers['www-authenticate'], 'Bearer realm="authgate", error="invalid_token", error_description="AUTH_TOKEN_INVALID"')

  response = await app.inject({ url: '/required', headers: bearer })
  t.equal(response.statusCode, 200)
  t.equal(response.json().user.sub, 'u1')
  response = await app.inject({ url: '/required', headers: { authorization: `bearer ${token}` } })
  t.equal(response.statusCode, 200, 'A.1 lowercase bearer')
  for (const authorization of [`Basic ${token}`, `Bearer  ${token}`, 'Bearer ', 'Bearer']) {
    response = await app.inject({ url: '/required', headers: { authorization } })
    t.equal(response.statusCode, 401, `A.1 ${JSON.stringify(authorization.slice(0, 8))}`)
  }

  // A.21: never from the query string, a body or a cookie. (Fastify refuses urlencoded bodies without a parser.)
  response = await app.inject({ url: `/required?access_token=${token}` })
  t.equal(response.json().code, 'AUTH_TOKEN_MISSING', 'query string')
  response = await app.inject({ method: 'POST', url: '/required', payload: { access_token: token, authorization: `Bearer ${token}` } })
  t.equal(response.json().code, 'AUTH_TOKEN_MISSING', 'body')
  response = await app.inject({ url: '/required', headers: { cookie: `access_token=${token}; authorization=Bearer%20${token}` } })
  t.equal(response.json().code, 'AUTH_TOKEN_MISSING', 'cookie')

  response = await app.inject({ url: '/optional' })
  t.same(response.json(), { user: null }, 'optional without credentials: anonymous')
  response = await app.inject({ url: '/optional', headers: { authorization: 'Bearer x.y.z' } })
  t.equal(response.json().code, 'AUTH_TOKEN_INVALID', 'optional with a bad token: 401, so the client refreshes')
  response = await app.inject({ url: '/optional', headers: bearer })
  t.equal(response.json().user.sid, 'session-1')
  response = await app.inject({ url: '/optional-admin' })
  t.equal(response.statusCode, 401, 'optional with roles: an anonymous caller has none of them')
  t.equal(response.json().code, 'AUTH_TOKEN_MISSING')
  response = await app.inject({ url: '/optional-admin', headers: bearer })
  t.equal(response.statusCode, 403, 'optional with roles: a token without them is forbidden')
  response = await app.inject({ url: '/public', headers: { authorization: 'Bearer garbage' } })
  t.same(response.json(), { user: null }, 'auth none ignores the header')

  response = await app.inject({ url: '/admin', headers: bearer })
  t.equal(response.statusCode, 403)
  t.equal(response.json().code, 'AUTH_FORBIDDEN')
  t.equal(response.headers['www-authenticate'], undefined, 'no WWW-Authenticate on 403')
  response = await app.inject({ url: '/user', headers: bearer })
  t.equal(response.statusCode, 200, 'one of the listed roles is enough')

  const revoked = tokens.sign({ sub: 'u1', sid: 'revoked-session', roles: [] }).token
  response = await app.inject({ url: '/required', headers: { authorization: `Bearer ${revoked}` } })
  t.equal(response.json().code, 'AUTH_SESSION_REVOKED')

  response = await app.inject({ url: '/unavailable' })
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '5')
  t.equal(response.json().code, 'AUTH_KEYS_UNAVAILABLE')
})

t.test('A.1 two Authorization lines over a real socket: 401, never 500', async (t) => {
  const app = await buildApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(address.port, '127.0.0.1')
    let data = ''
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('timeout')) })
    socket.on('data', (chunk: Buffer) => { data += chunk.toString() })
    socket.on('end', () => { resolve(data) })
    socket.on('error', reject)
    socket.write(`GET /required HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`)
  })
  t.match(raw, /^HTTP\/1\.1 401 /)
  t.match(raw, /"code":"AUTH_TOKEN_INVALID"/)
})
