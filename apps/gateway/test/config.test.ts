// The configuration: the YAML of docs/design.md#gateway verbatim, ${VAR} references, unknown keys refused, errors
// naming file and key.
import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, parseConfig } from '../src/config.js'

// The example file of docs/design.md#gateway, read from the doc itself so that the doc cannot drift from what loads.
const DESIGN_DOC = readFileSync(new URL('../../../docs/design.md', import.meta.url), 'utf8')
const DESIGN_YAML = /^```yaml\n([\s\S]*?)^```$/m.exec(DESIGN_DOC)?.[1] ?? ''

const dir = mkdtempSync(join(tmpdir(), 'authgate-config-'))
function file (name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const minimal = { tokens: { keysDir: '/k' }, routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }] }

function errorOf (fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.message
  }
  throw new Error('expected a ConfigError')
}

t.test('the YAML of docs/design.md loads, every key read', async (t) => {
  t.match(DESIGN_YAML, /^server: .*\nroutes:\n/ms, 'docs/design.md has the example file')
  const path = file('design.yaml', DESIGN_YAML)
  const config = loadConfig(path, { env: { MONGODB_URL: 'mongodb://127.0.0.1:27017' } })
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.routes) && Object.isFrozen(config.routes[0]))
  t.match(config.server, { host: '127.0.0.1', port: 8080, trustProxy: false, workers: 1 })
  t.equal(config.store?.mongodb.url, 'mongodb://127.0.0.1:27017')
  t.match(config.tokens, { algorithm: 'EdDSA', keysDir: join(dir, 'keys'), accessTtl: '15m', refreshTtl: '30d', reuseGrace: '10s', revocationDelay: '5s' })
  t.match(config.tokenTimes, { accessTtlMs: 900_000, revocationDelayMs: 5000 })
  t.match(config.cookie, { name: 'authgate_rt', secure: true, sameSite: 'strict' })
  t.equal(config.notifications.newDeviceWebhook, 'https://hooks.example/new-device')
  t.same(config.routes.map((route) => [route.prefix, route.auth, route.roles, route.timeoutMs, route.websocket, route.rewritePrefix]), [
    ['/public', 'none', [], 30_000, false, undefined],
    ['/api', 'required', [], 30_000, false, undefined],
    ['/admin', 'required', ['admin'], 30_000, false, undefined],
    ['/ws', 'required', [], 30_000, true, '/']
  ])
})

t.test('a missing environment variable is an error naming it, the file and the key', async (t) => {
  const path = file('env.yaml', DESIGN_YAML)
  const message = errorOf(() => loadConfig(path, { env: {} }))
  t.match(message, path)
  t.match(message, 'store.mongodb.url')
  t.match(message, 'MONGODB_URL is not set')
})

t.test('environment values are never parsed as YAML', async (t) => {
  const path = file('inject.yaml', 'tokens: { keysDir: ${KEYS} }\nroutes:\n  - { prefix: /api, upstream: http://127.0.0.1:1 }\n')
  const config = loadConfig(path, { env: { KEYS: '/x, issuer: evil' } })
  t.equal(config.tokens.keysDir, '/x, issuer: evil')
  t.equal(config.tokens.issuer, 'authgate')
})

t.test('unknown keys are refused at every level', async (t) => {
  t.match(errorOf(() => parseConfig({ ...minimal, sever: {} })), /sever: unknown key \(did you mean server\?\)/)
  t.match(errorOf(() => parseConfig({ ...minimal, server: { prot: 1 } })), /server\.prot: unknown key \(did you mean port\?\)/)
  t.match(errorOf(() => parseConfig({ ...minimal, tokens: { keysDir: '/k', secret: 'x' } })), /tokens\.secret: unknown key/)
  t.match(errorOf(() => parseConfig({ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h', auht: 'none' }] })), /routes\[0\]\.auht: unknown key \(did you mean auth\?\)/)
  t.match(errorOf(() => parseConfig({ ...minimal, store: { mongodb: { url: 'mongodb://h', db: 'x' } } })), /store\.mongodb\.db: unknown key/)
})

t.test('values are checked and named', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...minimal, tokens: { keysDir: '/k', accessTtl: '15 minutes' } }, /tokens\.accessTtl/],
    [{ ...minimal, server: { port: 70000 } }, /server\.port: must be at most 65535/],
    [{ ...minimal, routes: [{ prefix: 'api', upstream: 'http://h' }] }, /routes\[0\]\.prefix: must be a path/],
    [{ ...minimal, routes: [{ prefix: '/api/', upstream: 'http://h' }] }, /routes\[0\]\.prefix/],
    [{ ...minimal, routes: [{ prefix: '/a/../b', upstream: 'http://h' }] }, /routes\[0\]\.prefix/],
    [{ ...minimal, routes: [{ prefix: '/auth', upstream: 'http://h' }] }, /routes\[0\]\.prefix: must not be \/auth/],
    [{ ...minimal, routes: [{ prefix: '/healthz', upstream: 'http://h' }] }, /routes\[0\]\.prefix: must not be \/healthz/],
    [{ ...minimal, routes: [{ prefix: '/a', upstream: 'ftp://h' }] }, /routes\[0\]\.upstream: must be an http/],
    [{ ...minimal, routes: [{ prefix: '/a', upstream: 'http://u:p@h' }] }, /credentials/],
    [{ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h', auth: 'sometimes' }] }, /routes\[0\]\.auth: must be one of/],
    [{ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h', auth: 'none', roles: ['admin'] }] }, /routes\[0\]\.auth: is 'none' but the route names routes\[0\]\.roles/],
    [{ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h', roles: ['a,b'] }] }, /routes\[0\]\.roles\[0\]/],
    [{ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h' }, { prefix: '/a', upstream: 'http://h' }] }, /listed twice/],
    [{ ...minimal, routes: [] as unknown[], users: { source: 'ldap' } }, /users\.source: must be one of/],
    [{ ...minimal, headers: { userId: 'x-user', roles: 'x-user' } }, /headers: must name four different headers/],
    [{ ...minimal, log: { level: 'loud' } }, /log\.level: must be one of/],
    [{ routes: minimal.routes }, /tokens: is required/]
  ]
  for (const [input, pattern] of cases) t.match(errorOf(() => parseConfig(input, { file: 'my.yaml' })), pattern, String(pattern))
  t.match(errorOf(() => parseConfig({ ...minimal, bogus: 1 }, { file: 'my.yaml' })), /^my\.yaml: /, 'messages start with the file')
})

/** The one problem `input` has, as the one list reads it (`  - path: reason`). */
function onlyIssue (t: Test, input: Record<string, unknown>, line: string, name: string, env: Record<string, string> = {}): void {
  try {
    parseConfig(input, { file: 'my.yaml', env })
    t.fail(`${name}: accepted`)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    t.same(error.issues, [line], name)
    t.ok(error.message.startsWith('my.yaml: invalid configuration (1 problem):\n') && error.message.includes(`\n  - ${line}`), `${name}: in the one list`)
  }
}

t.test('routes[].prefix and rewritePrefix: plain paths only (the schema\'s pattern, dot segments in code)', async (t) => {
  const prefixExpected = 'routes[0].prefix: must be a path like /api (plain segments, no trailing slash, no dot segments)'
  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['prefix /.', { prefix: '/.' }, prefixExpected],
    ['prefix /a/.', { prefix: '/a/.' }, prefixExpected],
    ['prefix /..', { prefix: '/..' }, prefixExpected],
    ['prefix /a/..', { prefix: '/a/..' }, prefixExpected],
    ['prefix empty', { prefix: '' }, prefixExpected],
    ['prefix a number', { prefix: 7 }, prefixExpected],
    // Encoded dots are no way round it: % is outside the plain segment characters.
    ['prefix /%2e%2e', { prefix: '/%2e%2e' }, prefixExpected],
    ['rewritePrefix empty', { prefix: '/a', rewritePrefix: '' }, 'routes[0].rewritePrefix: must be a path like / or /v1'],
    ['rewritePrefix trailing slash', { prefix: '/a', rewritePrefix: '/x/' }, 'routes[0].rewritePrefix: must be a path like / or /v1']
  ]
  for (const [name, route, line] of refused) onlyIssue(t, { ...minimal, routes: [{ upstream: 'http://h', ...route }] }, line, name)
  for (const prefix of ['/...', '/.hidden', '/a/.b/..c']) {
    t.equal(parseConfig({ ...minimal, routes: [{ prefix, upstream: 'http://h' }] }).routes[0]?.prefix, prefix, `${prefix}: a segment of dots that is not . or .. is plain`)
  }
  t.equal(parseConfig({ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h' }] }).routes[0]?.rewritePrefix, undefined, 'rewritePrefix absent: undefined')
})

t.test('auth.verifyPath: dot segments refused by the same rule as route prefixes', async (t) => {
  const line = 'auth.verifyPath: must be a plain path under /auth/ (like /auth/verify), or false'
  for (const verifyPath of ['/auth/..', '/auth/.', '/auth/./verify', '/auth/a/..']) onlyIssue(t, { ...minimal, auth: { verifyPath } }, line, verifyPath)
  for (const verifyPath of ['/auth/...', '/auth/.check']) t.equal(parseConfig({ ...minimal, auth: { verifyPath } }).verifyPath, verifyPath, verifyPath)
})

t.test('server.workers: auto is one worker per core; other words are refused', async (t) => {
  const { availableParallelism } = await import('node:os')
  t.equal(parseConfig({ ...minimal, server: { workers: 'auto' } }).server.workers, availableParallelism())
  t.equal(parseConfig({ ...minimal, server: { workers: 3 } }).server.workers, 3)
  t.throws(() => parseConfig({ ...minimal, server: { workers: 'all' } }), /server\.workers/)
  // The schema takes any string there: a count in text is read, a word (from ${VAR} or written) refused.
  t.equal(parseConfig({ ...minimal, server: { workers: '8' } }).server.workers, 8, 'a quoted count')
  t.equal(parseConfig({ ...minimal, server: { workers: '${W}' } }, { env: { W: '8' } }).server.workers, 8, 'a count from ${VAR}')
  onlyIssue(t, { ...minimal, server: { workers: '${W}' } }, 'server.workers: must be a whole number from 1 to 64, or auto', 'workers: ${W}=many', { W: 'many' })
  onlyIssue(t, { ...minimal, server: { workers: 'many' } }, 'server.workers: must be a whole number from 1 to 64, or auto', 'workers: many')
})

t.test('defaults', async (t) => {
  const config = parseConfig(minimal)
  t.match(config.server, { host: '127.0.0.1', port: 8080, trustProxy: false, workers: 1 })
  t.equal(config.store, undefined)
  t.match(config.routes[0], { auth: 'required', roles: [], timeoutMs: 30_000, websocket: false, forwardAuthorization: false })
  t.same(config.headers, { userId: 'x-user-id', roles: 'x-user-roles', sessionId: 'x-session-id', assertion: 'x-authgate-assertion' })
  t.same(config.users, { source: 'builtin' })
  t.match(parseConfig({ ...minimal, routes: [{ prefix: '/a', upstream: 'http://h', roles: ['admin'] }] }).routes[0], { auth: 'required' }, 'roles imply required')
})

t.test('file errors: unreadable, invalid YAML, invalid JSON, duplicate keys', async (t) => {
  t.match(errorOf(() => loadConfig(join(dir, 'missing.yaml'))), /cannot read the file \(ENOENT\)/)
  // A device or a directory would be read until memory runs out (`authgate config check /dev/zero` aborted Node).
  t.match(errorOf(() => loadConfig('/dev/zero')), /\/dev\/zero: not a regular file/)
  t.match(errorOf(() => loadConfig(dir)), /not a regular file/)
  t.match(errorOf(() => loadConfig(file('huge.yaml', '#'.repeat(1024 * 1024 + 1)))), /larger than 1024 KiB/)
  t.match(errorOf(() => loadConfig(file('bad.yaml', 'routes: [\n'))), /not valid YAML/)
  t.match(errorOf(() => loadConfig(file('bad.json', '{"routes": '))), /not valid JSON/)
  t.match(errorOf(() => loadConfig(file('dup.yaml', 'log: {}\nlog: {}\n'))), /not valid YAML/)
  const json = file('ok.json', JSON.stringify({ ...minimal, server: { port: '${PORT}' } }))
  t.equal(loadConfig(json, { env: { PORT: '9999' } }).server.port, 9999, 'a ${VAR} number from JSON')
})
