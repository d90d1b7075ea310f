// @fastify/jwt registered through fastifyJwtOptions: request.jwtVerify() accepts authgate access tokens and answers
// everything else with authgate's 401s (never @fastify/jwt's 500s); app.jwt.sign output is never an access token.
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyJwt from '@fastify/jwt'
import { createAuthenticator } from '../src/http/authenticate.js'
import { createAccessTokenService } from '../src/tokens/index.js'
import { fastifyJwtOptions } from '../src/http/fastify-jwt.js'
import { generateKey } from '../src/keys/index.js'
import type { AccessAlgorithm, RevocationList } from '../src/tokens/index.js'
import { b64, codeOf, goodClaims, nowSeconds, service, signedWith, testKey, tokenOptions } from './helpers/keys.js'

async function appWith (t: Test, options: Parameters<typeof fastifyJwtOptions>): Promise<FastifyInstance> {
  const app = Fastify()
  t.teardown(() => app.close())
  app.decorateRequest('user', null)
  await app.register(fastifyJwt, fastifyJwtOptions(...options))
  app.get('/verify', async (request) => {
    const payload: Record<string, unknown> = await request.jwtVerify()
    return { sub: payload.sub, user: request.user }
  })
  await app.ready()
  return app
}

for (const algorithm of ['EdDSA', 'ES256', 'HS256'] as AccessAlgorithm[]) {
  t.test(`${algorithm}: request.jwtVerify with authgate's key`, async (t) => {
    const app = await appWith(t, [tokenOptions(algorithm)])
    const key = testKey(algorithm)
    const tokens = service(algorithm)
    const token = tokens.sign({ sub: 'u1', sid: 's1', roles: [] }).token
    const call = async (authorization?: string): Promise<{ status: number, code: unknown, body: string }> => {
      const response = await app.inject({ url: '/verify', headers: authorization === undefined ? {} : { authorization } })
      return { status: response.statusCode, code: response.json().code, body: response.body }
    }
    const ok = await app.inject({ url: '/verify', headers: { authorization: `Bearer ${token}` } })
    t.equal(ok.statusCode, 200)
    t.same(ok.json(), { sub: 'u1', user: null }, 'request.user stays authgate\'s')

    const own = app.jwt.sign({ sub: 'u1', sid: 's1', jti: 'j' })
    t.equal(codeOf(tokens.verify(own)), 'AUTH_TOKEN_INVALID', 'an app.jwt.sign token is not an access token')
    const [h, p, s] = token.split('.') as [string, string, string]
    const cases: Array<[string, string | undefined, string]> = [
      ['app.jwt.sign token (typ JWT)', `Bearer ${own}`, 'AUTH_TOKEN_INVALID'],
      ['no header', undefined, 'AUTH_TOKEN_MISSING'],
      ['Basic', `Basic ${token}`, 'AUTH_TOKEN_MISSING'],
      ['two spaces', `Bearer  ${token}`, 'AUTH_TOKEN_INVALID'],
      ['typ JWT, validly signed', `Bearer ${signedWith(key, goodClaims(), { typ: 'JWT' })}`, 'AUTH_TOKEN_INVALID'],
      ['wrong audience', `Bearer ${signedWith(key, goodClaims({ aud: 'other' }))}`, 'AUTH_TOKEN_INVALID'],
      ['nbf ahead', `Bearer ${signedWith(key, goodClaims({ nbf: nowSeconds() + 600 }))}`, 'AUTH_TOKEN_INVALID'],
      ['alg HS384', `Bearer ${b64({ alg: 'HS384', typ: 'at+jwt', kid: key.kid })}.${p}.${s}`, 'AUTH_TOKEN_INVALID'],
      ['malformed signature', `Bearer ${h}.${p}.${Buffer.alloc(65, 1).toString('base64url')}`, 'AUTH_TOKEN_INVALID'],
      ['expired', `Bearer ${signedWith(key, goodClaims({ iat: nowSeconds() - 700, exp: nowSeconds() - 100 }))}`, 'AUTH_TOKEN_EXPIRED']
    ]
    for (const [label, authorization, code] of cases) {
      const answer = await call(authorization)
      t.equal(answer.status, 401, `${label}: 401`)
      t.equal(answer.code, code, `${label}: ${code}`)
      t.notMatch(answer.body, /FAST_JWT|FST_JWT/, `${label}: no library text`)
    }
  })
}

t.test('revocations and retired keys', async (t) => {
  const old = generateKey('EdDSA')
  const current = generateKey('EdDSA')
  const options = tokenOptions('EdDSA', { keys: [current, { kid: old.kid, algorithm: 'EdDSA', publicKey: old.publicKey }] })
  const tokens = createAccessTokenService(options)
  const revocations: RevocationList = { isRevoked: (sid) => sid === 'gone', add () {}, start () {}, stop () {}, size: 1 }
  const app = await appWith(t, [options, createAuthenticator({ tokens, revocations }).authenticate])
  const revoked = tokens.sign({ sub: 'u1', sid: 'gone', roles: [] }).token
  let response = await app.inject({ url: '/verify', headers: { authorization: `Bearer ${revoked}` } })
  t.equal(response.json().code, 'AUTH_SESSION_REVOKED')
  const retired = createAccessTokenService(tokenOptions('EdDSA', { keys: [old] })).sign({ sub: 'u1', sid: 's', roles: [] }).token
  t.equal(codeOf(tokens.verify(retired)), 'OK', 'authgate accepts the retired key')
  response = await app.inject({ url: '/verify', headers: { authorization: `Bearer ${retired}` } })
  t.equal(response.statusCode, 401, 'request.jwtVerify knows the current key only')
  t.equal(response.json().code, 'AUTH_TOKEN_INVALID')
  response = await app.inject({ url: '/verify', headers: { authorization: `Bearer ${tokens.sign({ sub: 'u2', sid: 's', roles: [] }).token}` } })
  t.equal(response.json().sub, 'u2')
})

t.test('shape of the options', async (t) => {
  const ed = fastifyJwtOptions(tokenOptions('EdDSA'))
  t.match(ed, {
    decoratorName: 'jwtPayload',
    sign: { algorithm: 'EdDSA', kid: 'test-eddsa', iss: 'https://authgate.test', aud: 'upstream', expiresIn: 900 },
    verify: { algorithms: ['EdDSA'], allowedIss: 'https://authgate.test', allowedAud: 'upstream', checkTyp: 'at+jwt', maxAge: 930 }
  })
  t.equal(ed.cookie, undefined, 'no cookie option')
  t.match(ed.secret, { private: /BEGIN PRIVATE KEY/, public: /BEGIN PUBLIC KEY/ })
  t.ok(Buffer.isBuffer(fastifyJwtOptions(tokenOptions('HS256')).secret))
  t.throws(() => fastifyJwtOptions(tokenOptions('EdDSA', { keys: [] })), /no signing key/)
})
