// Sessions live in MongoDB: an app restart (same keys, same database) keeps refresh and access tokens valid.
import t from 'tap'
import { useTestDatabase } from '@authgate/test-kit/database'
import { bearer, buildApp, cookieOf, refresh, signIn } from './helpers/app.js'

const { name: database } = await useTestDatabase(t, 'restart')

t.test('an app restart keeps sessions', async (t) => {
  const first = await buildApp(t, 'mongo', { database })
  const { rt, at } = await signIn(first, 'restart@example.com')
  await first.close()

  const second = await buildApp(t, 'mongo', { database })
  t.equal((await second.inject({ url: '/auth/me', headers: bearer(at) })).statusCode, 200, 'the access token still verifies')
  const refreshed = await refresh(second, rt)
  t.equal(refreshed.statusCode, 200, 'the refresh token still rotates')
  t.not(cookieOf(refreshed)?.value, rt)
})

t.test('a revocation made on one instance reaches another through the store', async (t) => {
  const a = await buildApp(t, 'mongo', { database, options: { tokens: { revocationDelay: '200ms' } } })
  const b = await buildApp(t, 'mongo', { database, options: { tokens: { revocationDelay: '200ms' } } })
  const { at } = await signIn(a, 'two-instances@example.com')
  t.equal((await b.inject({ url: '/auth/me', headers: bearer(at) })).statusCode, 200)
  t.equal((await a.inject({ method: 'POST', url: '/auth/logout-all', headers: bearer(at) })).statusCode, 204)
  await new Promise((resolve) => setTimeout(resolve, 700))
  const after = await b.inject({ url: '/auth/me', headers: bearer(at) })
  t.equal(after.statusCode, 401)
  t.equal(after.json().code, 'AUTH_SESSION_REVOKED')
})

t.test('50 concurrent refreshes of one token across two instances: all succeed, one successor', async (t) => {
  const a = await buildApp(t, 'mongo', { database, options: { tokens: { reuseGrace: '10s' }, rateLimit: false } })
  const b = await buildApp(t, 'mongo', { database, options: { tokens: { reuseGrace: '10s' }, rateLimit: false } })
  const { rt } = await signIn(a, 'storm-two@example.com')
  const answers = await Promise.all(Array.from({ length: 50 }, async (_, index) => refresh(index % 2 === 0 ? a : b, rt)))
  t.same(answers.map((answer) => answer.statusCode), Array(50).fill(200))
  t.equal(new Set(answers.map((answer) => cookieOf(answer)?.value)).size, 1, 'exactly one successor')
})
