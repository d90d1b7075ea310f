// Issue #16 item 4: `authgate openapi --config FILE` prints the gateway's OpenAPI 3.1 document (valid against the
// 3.1 schema): every auth route the app serves, the forward-auth endpoint, health and metrics, the bearer scheme;
// the proxied prefixes only as x-authgate-routes. It starts nothing: the configured port is held by this test (a
// listen would fail), and a loopback listener standing for the database, Redis, trusted issuers and an OIDC provider
// counts no connection.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RouteOptions } from 'fastify'
import { Validator } from '@seriousme/openapi-schema-validator'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { buildOffline } from '../src/cli/offline-build.js'
import { loadConfig, parseConfig } from '../src/config.js'
import { runCli } from './cli-helpers.js'

// Each spawned `authgate` compiles the sources first (tens of seconds on a busy 2-core machine).
t.setTimeout(300_000)

const dir = mkdtempSync(join(tmpdir(), 'authgate-openapi-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
const keys = join(dir, 'keys')
writeKeysDir(keys, [generateKey('EdDSA')])

/** A loopback port this test holds for the whole file: the command must never listen on it. */
const held: Server = createServer()
await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => held.close(() => { resolve() })))
const port = (held.address() as { port: number }).port

const configFile = join(dir, 'authgate.yaml')
writeFileSync(configFile, `server: { host: 127.0.0.1, port: ${port}, publicOrigin: "https://gateway.example.com" }
store: { mongodb: { url: "mongodb://127.0.0.1:1/authgate?serverSelectionTimeoutMS=60000" } }
rateLimit: { redis: "redis://127.0.0.1:1" }
tokens: { keysDir: ${keys} }
auth: { registration: true }
routes:
  - { prefix: /api, upstream: "http://127.0.0.1:1", auth: required, roles: [user] }
  - { prefix: /public, upstream: "http://127.0.0.1:1", auth: none }
`)

interface Operation { security?: unknown[], responses?: Record<string, unknown>, tags?: string[] }
interface Document {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  components: { securitySchemes: Record<string, { type: string, scheme: string }> }
  servers?: Array<{ url: string }>
  'x-authgate-routes': Array<{ prefix: string, auth: string, roles: string[] }>
}

/** The routes the gateway `start` would serve from `configFile`, as Fastify registers them. */
async function servedRoutes (): Promise<Array<{ method: string, url: string, hidden: boolean }>> {
  const served: Array<{ method: string, url: string, hidden: boolean }> = []
  // The very build the command documents (offline-build.ts), without its document.
  await buildOffline(loadConfig(configFile, { env: {} }), {
    prepare: async (instance) => {
      instance.addHook('onRoute', (route: RouteOptions) => {
        const hidden = (route.schema)?.hide === true
        for (const method of Array.isArray(route.method) ? route.method : [route.method]) served.push({ method, url: route.url, hidden })
      })
    }
  })
  return served
}

t.test('prints a valid OpenAPI 3.1 document of every auth route, forward-auth, health and metrics', async (t) => {
  const run = await runCli(['openapi', '--config', configFile])
  t.equal(run.code, 0, run.stderr)
  const document = JSON.parse(run.stdout) as Document
  const validator = new Validator()
  const result = await validator.validate(document as unknown as Record<string, unknown>)
  t.equal(validator.version, '3.1')
  t.ok(result.valid, `valid: ${JSON.stringify(result.errors ?? null)}`)
  t.match(document.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'the bearer scheme')
  t.same(document.servers, [{ url: 'https://gateway.example.com' }])
  t.same(document['x-authgate-routes'], [{ prefix: '/api', auth: 'required', roles: ['user'] }, { prefix: '/public', auth: 'none', roles: [] }])
  t.same(document.paths['/auth/me']?.get?.security, [{ bearerAuth: [] }], 'Bearer routes require the scheme')
  t.same(document.paths['/auth/login']?.post?.security, [], 'login takes no bearer token')
  t.ok(document.paths['/auth/verify']?.get?.responses?.['401'], 'forward-auth documents its refusals')
  t.ok(document.paths['/metrics']?.get, '/metrics')

  // Every route the app serves under the auth prefix (not the 405 handlers, not Fastify's HEAD twins), the JWKS,
  // forward-auth and health appear; the proxied prefixes do not.
  const served = await servedRoutes()
  const own = new Set(['/.well-known/jwks.json', '/healthz', '/readyz', '/metrics'])
  const expected = served.filter((route) => !route.hidden && route.method !== 'HEAD' && (route.url.startsWith('/auth/') || own.has(route.url)))
  t.ok(expected.length >= 14, `${expected.length} routes expected`)
  for (const route of expected) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
    t.ok(document.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.url} is documented`)
  }
  const operations = Object.values(document.paths).reduce((count, path) => count + Object.keys(path).length, 0)
  t.equal(operations, expected.length, 'nothing else: no proxied route, no 405 handler')
  t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/api') || path.startsWith('/public')), 'no proxied path')
})

t.test('--help prints the usage and starts nothing; usage errors exit 2; a bad file exits 1', async (t) => {
  const help = await runCli(['openapi', '--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /^Usage: authgate openapi --config FILE/)
  t.equal(help.stderr, '')
  const missing = await runCli(['openapi'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /--config FILE is required/)
  t.equal(missing.stdout, '', 'no document without a file')
  const unknown = await runCli(['openapi', '--config', configFile, '--yaml'])
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /unknown option --yaml/)
  const stray = await runCli(['openapi', configFile])
  t.equal(stray.code, 2)
  t.match(stray.stderr, /did you mean --config/)
  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'tokens: { keysDir: /nonexistent }\nroutes: []\nnope: 1\n')
  const refused = await runCli(['openapi', '--config', bad])
  t.equal(refused.code, 1)
  t.match(refused.stderr, /nope/)
  t.equal(refused.stdout, '')
  const top = await runCli(['--help'])
  t.match(top.stdout, /openapi --config FILE/, 'listed in the top-level help')
})

t.test('authgate openapi never connects: not the database, Redis, a trusted issuer or an OIDC provider', async (t) => {
  // Where every backend of the file is said to be: a loopback listener that counts who dials it.
  let dialled = 0
  const backend: Server = createServer((socket) => { socket.destroy() })
  backend.on('connection', () => { dialled++ })
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => backend.close(() => { resolve() })))
  const at = `127.0.0.1:${(backend.address() as { port: number }).port}`
  const file = join(dir, 'backends.yaml')
  writeFileSync(file, `server: { host: 127.0.0.1, port: ${port}, publicOrigin: "https://gateway.example.com" }
store: { mongodb: { url: "mongodb://${at}/authgate?directConnection=true" } }
rateLimit: { redis: "redis://${at}" }
tokens:
  keysDir: ${keys}
  trustedIssuers:
    - { issuer: "http://${at}/idp", jwksUrl: "http://${at}/idp/jwks", audience: gateway }
    - { issuer: "http://${at}/other", discovery: true, audience: gateway }
oidc:
  providers:
    - { name: corp, issuer: "http://${at}/sso", clientId: authgate, clientSecret: "\${OIDC_SECRET}" }
routes:
  - { prefix: /api, upstream: "http://${at}", auth: required }
`)
  const run = await runCli(['openapi', '--config', file], { env: { OIDC_SECRET: 'from-the-environment' } })
  t.equal(run.code, 0, run.stderr)
  const document = JSON.parse(run.stdout) as Document
  t.ok(document.paths['/auth/oidc/{provider}/login'] ?? document.paths['/auth/oidc/providers'], 'the OIDC routes are documented')
  t.equal(dialled, 0, 'no connection was made to any backend')
})

t.test('the offline build leaves trusted issuers out, yet refuses one the plugin would refuse (doctor parses without its rules)', async (t) => {
  const raw = {
    tokens: { keysDir: keys, trustedIssuers: [{ issuer: 'https://sso.example.com', jwksUrl: 'http://sso.example.com/jwks', audience: 'gateway' }] },
    routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1', auth: 'required' }]
  }
  const config = parseConfig(raw, { file: 'gw.yaml', env: {}, pluginRules: false })
  await t.rejects(buildOffline(config), { message: /tokens\.trustedIssuers\[0\]\.jwksUrl: must be https/ })
})
