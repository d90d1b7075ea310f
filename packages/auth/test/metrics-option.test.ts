// Issue #16: the plugin's `metrics` option. An embedding app hands it a prom-client Registry and finds the auth
// outcomes there; a bad value is refused naming the option; prom-client is loaded only for the option.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { Gauge, Registry, register as promRegister } from 'prom-client'
import Fastify from 'fastify'
import authgate from '../src/index.js'
import { buildApp, login, refresh, register, signIn } from './helpers/app.js'
import { testKey } from './helpers/keys.js'

function sample (text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `))
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1))
}

t.test('logins, refreshes, reuse and revocations land in the given registry', async (t) => {
  const registry = new Registry()
  const app = await buildApp(t, 'memory', { options: { metrics: registry, tokens: { reuseGrace: 0 } } })
  const { rt } = await signIn(app, 'ann@example.com')
  t.equal((await login(app, 'ann@example.com', 'a wrong password, long enough')).statusCode, 401)
  const rotated = await refresh(app, rt)
  t.equal(rotated.statusCode, 200)
  t.equal((await refresh(app, rt)).statusCode, 401, 'reuse')
  const text = await registry.metrics()
  t.equal(sample(text, 'authgate_logins_total{result="ok"}'), 1)
  t.equal(sample(text, 'authgate_logins_total{result="invalid_credentials"}'), 1)
  t.equal(sample(text, 'authgate_refresh_total{result="ok"}'), 1)
  t.equal(sample(text, 'authgate_refresh_total{result="reused"}'), 1)
  const reuse = ['race', 'stale', 'theft'].reduce((sum, kind) => sum + sample(text, `authgate_refresh_reuse_total{class="${kind}"}`), 0)
  t.equal(reuse, 1)
  t.equal(sample(text, 'authgate_revocations_total'), 1, 'the reused session revoked and applied')
  t.equal(sample(text, 'authgate_revocation_list_size'), 1)
  t.ok(sample(text, 'authgate_revocation_lag_seconds') >= 0)
  t.equal(sample(text, 'authgate_signing_keys'), 1)
  t.notMatch(text, /authgate_key_ring_generation \d/, 'no generation with static keys')
  t.notMatch(text, /ann@example\.com/)
  await app.close()
  t.equal(registry.getSingleMetric('authgate_logins_total'), undefined, 'taken out of the registry on close')
})

t.test('a bad metrics value is refused naming the option; a registry serves one plugin instance', async (t) => {
  await t.rejects(buildApp(t, 'memory', { options: { metrics: {} as unknown as Registry } }), /metrics: must be an object given in code/)
  await t.rejects(buildApp(t, 'memory', { options: { metrics: new (class NotARegistry { readonly kind = 'other' })() as unknown as Registry } }), /metrics: must be a prom-client Registry/)
  const registry = new Registry()
  await buildApp(t, 'memory', { options: { metrics: registry } })
  await t.rejects(buildApp(t, 'memory', { options: { metrics: registry } }), /registry already holds authgate_logins_total/)
  // One name taken, the others free: every name is checked before any is created, so nothing is left behind.
  const partly = new Registry()
  new Gauge({ name: 'authgate_signing_keys', help: 'the application\'s own', registers: [partly] })
  await t.rejects(buildApp(t, 'memory', { options: { metrics: partly } }), /registry already holds authgate_signing_keys/)
  t.same(partly.getMetricsAsArray().map((metric) => metric.name), ['authgate_signing_keys'], 'the registry as it was')
})

t.test('a registration that fails after the metrics were made takes them out of the registry on close', async (t) => {
  const registry = new Registry()
  const app = Fastify({ logger: false })
  // The plugin's JWKS route collides with the application's: the registration fails after createAuthMetrics.
  app.get('/.well-known/jwks.json', async () => ({}))
  await t.rejects((async () => {
    await app.register(authgate, { store: { memory: true }, metrics: registry, tokens: { keys: [testKey('EdDSA')], issuer: 'i', audience: 'a' } })
    await app.ready()
  })())
  await app.close().catch(() => { /* the failed registration is the point */ })
  t.same(registry.getMetricsAsArray().map((metric) => metric.name), [], 'nothing left in the caller\'s registry')
})

t.test('without the option nothing is counted and no metric exists', async (t) => {
  const app = await buildApp(t, 'memory')
  await register(app, 'bob@example.com')
  t.equal((await login(app, 'bob@example.com')).statusCode, 200)
  t.equal(app.hasDecorator('authgate'), true)
  t.same(promRegister.getMetricsAsArray().filter((metric) => metric.name.startsWith('authgate_')).map((metric) => metric.name), [], 'nothing in prom-client\'s global registry')
  // The counting hook sits on the auth routes only with the option.
  const loginHooks = (instance: FastifyInstance): string => instance.printRoutes({ includeHooks: true, commonPrefix: false })
  // (The login route's own hooks, which feed the loginFailed event, are onRequest and onSend.)
  t.notMatch(loginHooks(app), /"onResponse\(\)"/, 'no counting onResponse hook on the auth routes')
  const counted = await buildApp(t, 'memory', { options: { metrics: new Registry() } })
  t.match(loginHooks(counted), /"onResponse\(\)"/, 'the option adds one (the check can see it)')
})

t.test('prom-client is loaded only by the metrics option (a dynamic import in one file; type imports elsewhere)', async (t) => {
  const src = fileURLToPath(new URL('../src/', import.meta.url))
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))
  const valueImports = files.filter((name) => /^import (?!type )[^\n]*from 'prom-client'/m.test(readFileSync(join(src, name), 'utf8')))
  t.same(valueImports, [], 'no static value import of prom-client')
  const dynamic = files.filter((name) => readFileSync(join(src, name), 'utf8').includes("import('prom-client')"))
  t.same(dynamic, [join('metrics', 'auth-metrics.ts')])
})
