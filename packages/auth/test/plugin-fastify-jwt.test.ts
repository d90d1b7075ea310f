// The plugin registers @fastify/jwt with its signing key: an application route can use request.jwtVerify() with a
// token from /auth/login, and gets authgate's 401 codes (never @fastify/jwt's own errors) for anything else.
import t from 'tap'
import Fastify from 'fastify'
import authgate from '../src/index.js'
import { generateKey } from '../src/keys/index.js'

t.test('request.jwtVerify() accepts a login access token and refuses with AUTH_* codes', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(authgate, {
    tokens: { algorithm: 'EdDSA', keys: [generateKey('EdDSA')], issuer: 'authgate', audience: 'upstream' },
    rateLimit: false
  })
  app.get('/legacy', async (request) => {
    const payload: { sub?: unknown } = await request.jwtVerify()
    return { sub: payload.sub }
  })
  await app.ready()
  t.ok(app.hasDecorator('jwt'), 'app.jwt is there for applications that want it')

  const registered = await app.inject({ method: 'POST', url: '/auth/register', payload: { email: 'jwt@example.com', password: 'correct horse battery' } })
  t.equal(registered.statusCode, 201)
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'jwt@example.com', password: 'correct horse battery' } })
  t.equal(login.statusCode, 200)
  const { accessToken, user } = login.json()

  const ok = await app.inject({ url: '/legacy', headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(ok.statusCode, 200)
  t.equal(ok.json().sub, user.id)

  const missing = await app.inject({ url: '/legacy' })
  t.equal(missing.statusCode, 401)
  t.equal(missing.json().code, 'AUTH_TOKEN_MISSING')
  const tampered = await app.inject({ url: '/legacy', headers: { authorization: `Bearer ${accessToken.slice(0, -4)}AAAA` } })
  t.equal(tampered.statusCode, 401)
  t.equal(tampered.json().code, 'AUTH_TOKEN_INVALID')
})
