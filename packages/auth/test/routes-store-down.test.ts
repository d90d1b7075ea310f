// docs/design.md#failure-behaviour: the session store is down. The process starts, cookie endpoints answer 503 fast
// with Retry-After and never clear the refresh cookie; Bearer-guarded routes keep working (stateless verification).
import t from 'tap'
import { bearer, buildApp, deadStore, setCookieHeaders } from './helpers/app.js'

const VALID_LOOKING_RT = 'A'.repeat(43)

t.test('store down: 503 quickly, cookie kept, Bearer routes alive', async (t) => {
  const store = deadStore()
  t.teardown(() => store.close())
  // The first registration in a process compiles the options schema (ajv): paid here, so the bound below measures
  // what a dead store costs a start, not the compile.
  await buildApp(t, 'memory')
  const started = Date.now()
  const app = await buildApp(t, 'memory', { options: { store } })
  t.ok(Date.now() - started < 3000, 'the app starts although the store is down')
  t.equal(await app.authgate.storeReady(), false, 'readiness says so')

  for (const request of [
    { method: 'POST' as const, url: '/auth/login', payload: { email: 'a@example.com', password: 'whatever pass' } },
    { method: 'POST' as const, url: '/auth/register', payload: { email: 'a@example.com', password: 'whatever pass' } },
    { method: 'POST' as const, url: '/auth/refresh', headers: { cookie: `authgate_rt=${VALID_LOOKING_RT}` } },
    { method: 'POST' as const, url: '/auth/logout', headers: { cookie: `authgate_rt=${VALID_LOOKING_RT}` } }
  ]) {
    const begin = Date.now()
    const answer = await app.inject(request)
    t.equal(answer.statusCode, 503, `${request.url} answers 503, never 204/401`)
    t.equal(answer.json().code, 'AUTH_STORE_UNAVAILABLE')
    t.ok(Number(answer.headers['retry-after']) > 0, 'Retry-After')
    t.same(setCookieHeaders(answer).filter((line) => line.startsWith('authgate_rt=')), [], 'the refresh cookie is not touched')
    t.notOk(answer.body.includes('127.0.0.1:1') || answer.body.includes('Mongo'), 'no driver details in the body')
    t.ok(Date.now() - begin < 2500, 'within the selection budget')
  }

  const signed = app.authgate.tokens.sign({ sub: 'u1', sid: 's1', roles: ['user'] })
  const me = await app.inject({ url: '/auth/me', headers: bearer(signed.token) })
  t.equal(me.statusCode, 200, 'Bearer routes keep working')
  t.same(me.json().user, { id: 'u1', email: null, roles: ['user'] })
  t.equal((await app.inject({ url: '/private', headers: bearer(signed.token) })).statusCode, 200)
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 200)
})
