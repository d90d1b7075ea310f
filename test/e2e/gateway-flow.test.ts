// The gateway end to end on the real database: register and log in through the gateway (the plugin's /auth routes),
// call the unmodified demo upstream with the access token, and have an upstream verify the gateway's signed
// `x-authgate-assertion` with jose against the gateway's JWKS. Readiness follows the store.
import t from 'tap'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { generateKey } from '@authgate/fastify/tokens'
import { startDemoUpstream } from '@authgate/gateway/demo-upstream'
import { buildApp, parseConfig } from '@authgate/gateway'
import { useTestDatabase } from '@authgate/test-kit/database'

async function gatewayFor (t: { teardown (fn: () => unknown): void }, store: Record<string, unknown> | undefined, routes: unknown[]) {
  const config = parseConfig({
    ...(store === undefined ? {} : { store }),
    tokens: { keys: [generateKey('EdDSA')], issuer: 'authgate-e2e', audience: 'upstream' },
    cookie: { secure: false },
    auth: { registration: true },
    routes
  }, { file: 'e2e' })
  const app = await buildApp(config, { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { app, origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

t.test('register, log in and call the demo upstream through the gateway; an upstream verifies the assertion with jose', async (t) => {
  const db = await useTestDatabase(t, 'gateway_flow')
  const demo = await startDemoUpstream()
  t.teardown(() => demo.close())
  const seen: IncomingHttpHeaders[] = []
  const verifying = createServer((request, response) => {
    seen.push(request.headers)
    request.resume()
    response.end('{}')
  })
  await new Promise<void>((resolve) => verifying.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { verifying.closeAllConnections(); verifying.close(() => { resolve() }) }))
  const verifyingUrl = `http://127.0.0.1:${(verifying.address() as AddressInfo).port}`

  const { origin } = await gatewayFor(t, { mongodb: { url: db.url, database: db.name } }, [
    { prefix: '/api', upstream: demo.url, auth: 'required' },
    { prefix: '/orders', upstream: verifyingUrl, auth: 'required' }
  ])
  t.same(await (await fetch(`${origin}/readyz`)).json(), { status: 'ready' })

  const email = `flow-${Date.now()}@example.com`
  const password = 'correct horse battery staple'
  const registered = await fetch(`${origin}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  t.equal(registered.status, 201)
  const login = await fetch(`${origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) })
  t.equal(login.status, 200)
  const { accessToken, user } = await login.json() as { accessToken: string, user: { id: string } }
  t.ok(await db.db.collection('sessions').countDocuments({ userId: user.id }) >= 1, 'the session is in the database')

  const whoami = await fetch(`${origin}/api/whoami`, { headers: { authorization: `Bearer ${accessToken}`, 'x-user-id': 'admin' } })
  t.equal(whoami.status, 200)
  const body = await whoami.json() as { userId: string, roles: string[], path: string, headers: Record<string, string> }
  t.equal(body.userId, user.id, 'the demo upstream sees the user id as a header')
  t.equal(body.path, '/api/whoami')
  t.same(body.roles, ['user'])
  t.equal(body.headers.authorization, undefined)

  t.equal((await fetch(`${origin}/orders/1`, { headers: { authorization: `Bearer ${accessToken}` } })).status, 200)
  const assertion = seen[0]?.['x-authgate-assertion']
  t.type(assertion, 'string')
  const jwks = createRemoteJWKSet(new URL(`${origin}/.well-known/jwks.json`))
  const verified = await jwtVerify(assertion as string, jwks, { issuer: 'authgate-e2e', audience: '/orders', typ: 'authgate-assertion+jwt', algorithms: ['EdDSA'] })
  t.equal(verified.payload.sub, user.id)
  t.same(verified.payload.roles, ['user'])
  t.equal(verified.payload.sid, seen[0]?.['x-session-id'])
  await t.rejects(jwtVerify(assertion as string, jwks, { issuer: 'authgate-e2e', audience: '/api' }), 'an assertion for one route is no good for another')
  const forged = `${(assertion as string).slice(0, -4)}AAAA`
  await t.rejects(jwtVerify(forged, jwks, { issuer: 'authgate-e2e', audience: '/orders' }), 'a tampered assertion fails')

  const logout = await fetch(`${origin}/auth/logout-all`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(logout.status, 204)
  const after = await fetch(`${origin}/api/whoami`, { headers: { authorization: `Bearer ${accessToken}` } })
  t.equal(after.status, 401, 'a revoked session is refused at the gateway')
  t.match(await after.json(), { code: 'AUTH_SESSION_REVOKED' })
})

t.test('/readyz answers 503 while the store is unreachable; /healthz stays 200', async (t) => {
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => { resolve() }))
  const { origin } = await gatewayFor(t, { mongodb: { url: `mongodb://127.0.0.1:${port}/?serverSelectionTimeoutMS=500&connectTimeoutMS=500`, database: 'nowhere' } }, [
    { prefix: '/api', upstream: 'http://127.0.0.1:1', auth: 'required' }
  ])
  const ready = await fetch(`${origin}/readyz`)
  t.equal(ready.status, 503)
  t.same(await ready.json(), { status: 'unavailable', code: 'AUTH_STORE_UNAVAILABLE' })
  t.equal((await fetch(`${origin}/healthz`)).status, 200)
})
