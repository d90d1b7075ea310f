// Issue #17 item 4, end to end: the key compromise drill must not look like an outage. Two gateway instances behind
// a round-robin "load balancer" on one database (tokens.keyStore: database), a user signed in with @authgate/client
// in Node before the drill, then `authgate keys rotate --force` and `authgate keys retire --kid` of the key that
// signed the user's token. The user's next request meets 401 AUTH_TOKEN_INVALID (not 503), the client refreshes
// once, silently, retries the request, and it succeeds; the user keeps working. A kid that was never ours is 401 as
// well, and 503 AUTH_KEYS_UNAVAILABLE only on an instance whose key set is unavailable (it cannot open the ring).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthClient, createMemoryCookieJar } from '@authgate/client'
import { createAccessTokenService, generateKey } from '@authgate/fastify/tokens'
import { buildApp, loadConfig } from '@authgate/gateway'
import { useTestDatabase } from '@authgate/test-kit/database'
import { PASSWORD, call, register, waitUntil } from '../faults/helpers/app.js'
import { runCli, type CliRun } from '../../apps/gateway/test/cli-helpers.js'

// Three CLI processes, each compiling the TypeScript sources: tens of seconds on a busy machine.
t.setTimeout(180_000)
const { url, name: database } = await useTestDatabase(t, 'keydrill')

const REFRESH_MS = 1000
const ISSUER = 'authgate-drill'
const AUDIENCE = 'upstream'
const env = { MONGODB_URL: url, AUTHGATE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') }
const dir = mkdtempSync(join(tmpdir(), 'authgate-keydrill-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

// The upstream: counts what reached it and echoes who it was for and what was sent.
let upstreamHits = 0
const upstream = createServer((request, response) => {
  upstreamHits++
  let body = ''
  request.setEncoding('utf8')
  request.on('data', (chunk: string) => { body += chunk })
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ user: request.headers['x-user-id'] ?? null, method: request.method, body }))
  })
})
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
t.teardown(() => new Promise<void>((resolve) => { upstream.closeAllConnections(); upstream.close(() => { resolve() }) }))

// Access tokens long enough that neither expiry nor the client's proactive refresh (30 s before expiry) can be what
// makes the client refresh here: only the drill can.
const configFile = join(dir, 'authgate.yaml')
writeFileSync(configFile, `server: { host: 127.0.0.1, port: 0 }
log: { level: silent }
store: { mongodb: { url: \${MONGODB_URL}, database: ${database} } }
auth: { registration: true }
tokens:
  keyStore: database
  keyEncryptionKey: \${AUTHGATE_KEY_ENCRYPTION_KEY}
  keyRefresh: ${REFRESH_MS}ms
  issuer: ${ISSUER}
  audience: ${AUDIENCE}
  accessTtl: 10m
cookie: { secure: false }
routes:
  - { prefix: /api, upstream: http://127.0.0.1:${(upstream.address() as AddressInfo).port}, auth: required }
`)

const keys = (...args: string[]): Promise<CliRun> => runCli(['keys', ...args, '--config', configFile], { env })
const kidOf = (token: string | null): string =>
  (JSON.parse(Buffer.from((token ?? '').split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid

async function startInstance (kek = env.AUTHGATE_KEY_ENCRYPTION_KEY): Promise<string> {
  const app = await buildApp(loadConfig(configFile, { env: { ...env, AUTHGATE_KEY_ENCRYPTION_KEY: kek } }), { logger: false })
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

async function jwksKids (base: string): Promise<string[]> {
  return ((await call(base, '/.well-known/jwks.json')).body.keys as Array<{ kid: string }>).map((key) => key.kid)
}

t.test('key compromise drill: a signed-in user keeps working after one silent refresh', async (t) => {
  const created = await keys('rotate')
  t.equal(created.code, 0, `keys rotate creates the ring (${created.stderr.trim()})`)
  const [, k1 = '', k2 = ''] = /current (\S+), next (\S+)/.exec(created.stdout) ?? []

  const instances = [await startInstance(), await startInstance()]
  const [a] = instances as [string, string]

  // A round-robin load balancer in front of the two instances: the client only knows instance A's origin.
  interface WireLine { line: string, via: string, status: number, code: string | undefined }
  const wire: WireLine[] = []
  let turn = 0
  const balanced = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const target = new URL(input instanceof Request ? input.url : input)
    const via = instances[turn++ % instances.length] as string
    const response = await fetch(new URL(target.pathname + target.search, via), init)
    const answer = await response.clone().json().catch(() => undefined) as { code?: string } | undefined
    wire.push({ line: `${init?.method ?? 'GET'} ${target.pathname}`, via: via === a ? 'A' : 'B', status: response.status, code: answer?.code })
    return response
  }
  let expiries = 0
  const client = createAuthClient({ baseUrl: a, cookieJar: createMemoryCookieJar(), fetch: balanced, onSessionExpired: () => { expiries++ } })

  const email = 'drill@example.com'
  t.equal((await register(a, email)).status, 201)
  const signedIn = await client.login(email, PASSWORD)
  const before = client.accessToken
  t.equal(kidOf(before), k1, 'signed in before the drill: a token of the current key')
  for (let index = 0; index < 2; index++) t.equal((await client.fetch('/api/before')).status, 200, 'works on both instances')

  // The drill: the current key is compromised. Promote the published next key now, and drop the compromised one.
  const rotated = await keys('rotate', '--force')
  t.equal(rotated.code, 0, rotated.stderr)
  t.match(rotated.stdout, new RegExp(`current ${k2}, next \\S+, retired ${k1}`), 'rotate --force: the next key signs, the compromised one is retired')
  const retired = await keys('retire', '--kid', k1)
  t.equal(retired.code, 0, retired.stderr)
  t.match(retired.stdout, new RegExp(`dropped ${k1}`), 'retire --kid drops it')
  // An instance drops it at its next poll (one refresh interval); the wait allows ten, as slack for a loaded machine,
  // so this asserts that each instance drops it, not how fast.
  for (const base of instances) {
    t.ok(await waitUntil(async () => !(await jwksKids(base)).includes(k1), 10 * REFRESH_MS) >= 0, 'each instance dropped the key after polling the ring')
  }

  // The user's next request: one 401 AUTH_TOKEN_INVALID, one silent refresh, the same request again, and it succeeds.
  wire.length = 0
  const hitsBefore = upstreamHits
  const response = await client.fetch('/api/after', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' })
  t.equal(response.status, 200, 'the request succeeds')
  t.same(await response.json(), { user: signedIn.user.id, method: 'POST', body: '{"n":1}' }, 'as the same user, with its body')
  t.same(wire.map(({ line, status, code }) => ({ line, status, code })), [
    { line: 'POST /api/after', status: 401, code: 'AUTH_TOKEN_INVALID' },
    { line: 'POST /auth/refresh', status: 200, code: undefined },
    { line: 'POST /api/after', status: 200, code: undefined }
  ], 'on the wire: the refused request, exactly one refresh, the retried request')
  t.equal(upstreamHits - hitsBefore, 1, 'the upstream saw the request once (the refused attempt never reached it)')
  t.equal(kidOf(client.accessToken), k2, 'the new token is signed by the promoted key')
  t.equal(expiries, 0, 'the session never expired: the user noticed nothing')

  wire.length = 0
  for (let index = 0; index < 4; index++) t.equal((await client.fetch(`/api/later/${index}`)).status, 200, 'and keeps working')
  t.same(wire.filter((item) => item.line === 'POST /auth/refresh'), [], 'without another refresh')
  t.same([...new Set(wire.map((item) => item.via))].sort(), ['A', 'B'], 'on both instances')

  // Without the client: the dropped key's token is a plain invalid token on every instance, never an outage.
  for (const base of instances) {
    const refused = await call(base, '/api/old', { bearer: before ?? '' })
    t.equal(refused.status, 401, 'a token of the dropped key: 401')
    t.equal(refused.body.code, 'AUTH_TOKEN_INVALID')
    t.match(refused.headers.get('www-authenticate'), /^Bearer /, 'with WWW-Authenticate')
    t.equal(refused.headers.get('retry-after'), null, 'and no Retry-After')
  }
  // A kid that was never ours, in a token of our exact shape: the key set is healthy, so 401 as well.
  const stranger = createAccessTokenService({ algorithm: 'EdDSA', keys: [generateKey('EdDSA')], issuer: ISSUER, audience: AUDIENCE, accessTtl: 600, clockTolerance: 0 })
    .sign({ sub: signedIn.user.id, sid: 'sid', roles: [] }).token
  t.same((await call(a, '/api/stranger', { bearer: stranger })).body.code, 'AUTH_TOKEN_INVALID', 'a kid never ours, healthy key set: 401')

  // An instance whose key set is unavailable (it cannot open the ring: another key-encryption key) cannot tell a
  // dropped key from one it has not read: 503, for any kid, an outage rather than a mass logout. This blind instance
  // covers the path where no key set was ever loaded; the other 503 path, an instance that read the ring and then
  // could not read it for two refresh intervals, is covered by packages/auth/test/key-ring.test.ts ("unknown kids:
  // 401 while the ring is known complete ...", on an injected clock).
  const blind = await startInstance(randomBytes(32).toString('base64'))
  for (const [what, token] of [['the stranger', stranger], ['the dropped key', before ?? ''], ['the current key', client.accessToken ?? '']]) {
    const outage = await call(blind, '/api/blind', { bearer: token })
    t.equal(outage.status, 503, `key set unavailable, a token of ${what}: 503`)
    t.equal(outage.body.code, 'AUTH_KEYS_UNAVAILABLE')
    t.ok(outage.headers.get('retry-after') !== null, 'with Retry-After')
  }
})
