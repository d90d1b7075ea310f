// Issue #12 item 1: one run of `config check` lists every problem of the file, whoever finds it: the schema, the
// gateway's own rules that span keys (routes, headers, server, verifyPath, store), the plugin's (keys, cookies,
// origins, users, OIDC), `${VAR}`s that are not set and AUTHGATE_* overrides. A file's messages speak of what a file
// can hold, never of values only code can give.
import t from 'tap'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig, parseConfig } from '../src/config.js'
import { configWarnings } from '../src/cli/config-warnings.js'

const dir = mkdtempSync(join(tmpdir(), 'authgate-config-one-list-'))
const SECRET = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8='
const tokens = { keys: [{ kid: 'k', algorithm: 'HS256', secret: SECRET }] }
const routes = [{ prefix: '/api', upstream: 'http://127.0.0.1:1' }]

function problems (run: () => unknown): readonly string[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.issues
    throw error
  }
  throw new Error('expected a ConfigError')
}

t.test('the gateway\'s own rules report every problem, not the first', async (t) => {
  const found = problems(() => parseConfig({
    tokens,
    server: { workers: 99, headersTimeout: '30s', requestTimeout: '10s' },
    routes: [{ prefix: '/healthz', upstream: 'http://u:p@h' }, { prefix: '/a', upstream: 'http://h', auth: 'none', roles: ['r'] }, { prefix: '/a', upstream: 'http://h' }],
    headers: { userId: 'x-same', roles: 'x-same', pass: ['x-original-url'], drop: ['host'] },
    auth: { verifyPath: '/auth/login' }
  }, { file: 'gw.yaml' }))
  t.same([...found].sort(), [
    'auth.verifyPath: /auth/login is an authgate endpoint already',
    'headers.drop[0]: would drop host, which the upstream request cannot do without',
    'headers.pass[0]: cannot let x-original-url through: upstreams route on it instead of the path, which would undo the gateway\'s path check',
    'headers: must name four different headers',
    'routes[0].prefix: must not be /healthz or under it: the gateway answers there itself',
    'routes[0].upstream: must not hold credentials',
    'routes[1].auth: is \'none\' but the route names routes[1].roles: a public route would ignore them (use \'required\')',
    'routes[2].prefix: /a is listed twice',
    'server.requestTimeout: must not be shorter than server.headersTimeout (30 s)',
    'server.workers: must be a whole number from 1 to 64, or auto'
  ])
})

t.test('the plugin\'s rules that span keys join the same list as the gateway\'s and the schema\'s', async (t) => {
  const found = problems(() => parseConfig({
    tokens: { keys: [{ kid: 'k', algorithm: 'HS256', secret: 'short' }] },
    cookie: { sameSite: 'none', secure: false },
    auth: { allowedOrigins: ['https://app.example.com/path'] },
    routes: [{ prefix: '/healthz', upstream: 'http://h' }],
    log: { level: 'loud' }
  }, { file: 'gw.yaml' }))
  t.match(found, [/^log\.level: must be one of /], 'the schema\'s problem first')
  for (const expected of [/^routes\[0\]\.prefix: must not be \/healthz/, /^tokens\.keys\[0\]\.secret: /, /^cookie\.sameSite: none requires cookie\.secure: true$/, /^auth\.allowedOrigins\[0\]: must be an origin/]) {
    t.ok(found.some((line) => expected.test(line)), `${String(expected)} is listed`)
  }
  t.equal(new Set(found).size, found.length, 'no line twice')
})

t.test('a ${VAR} that is not set is one problem of the list, and the placeholder adds no other', async (t) => {
  const found = problems(() => parseConfig({ tokens: { ...tokens, issuer: '${ISSUER}' }, routes: [{ prefix: '/api', upstream: '${UPSTREAM}' }], log: { level: 'loud' } }, { file: 'gw.yaml', env: {} }))
  t.same([...found].sort(), [
    'log.level: must be one of fatal, error, warn, info, debug, trace, silent',
    'routes[0].upstream: environment variable UPSTREAM is not set',
    'tokens.issuer: environment variable ISSUER is not set'
  ])
  const malformed = problems(() => parseConfig({ tokens, routes: [{ prefix: '/api', upstream: 'http://h/${BAD-NAME}' }] }, { env: {} }))
  t.same(malformed, ['routes[0].upstream: holds a ${…} that is not a valid environment variable reference (${NAME} or ${NAME:-default})'])
  t.notMatch(malformed.join('\n'), /BAD-NAME/, 'the text inside is not echoed (it may be a pasted secret)')
})

t.test('a list of objects cannot come from one AUTHGATE_* variable: refused, naming the variable and the way', async (t) => {
  for (const [name, key] of [['AUTHGATE_TOKENS_KEYS', 'tokens.keys'], ['AUTHGATE_TOKENS_TRUSTED_ISSUERS', 'tokens.trustedIssuers'], ['AUTHGATE_OIDC_PROVIDERS', 'oidc.providers']] as const) {
    const found = problems(() => parseConfig({ tokens, routes }, { env: { [name]: 'a,b' } }))
    t.same(found, [`${name}: cannot be set from the environment: it is a list of objects; write it in the file (values inside it may be \${VAR}) (${key})`], name)
  }
  // A list of strings still splits on commas.
  t.same(parseConfig({ tokens, routes }, { env: { AUTHGATE_AUTH_ALLOWED_ORIGINS: 'https://a.example, https://b.example' } }).allowedOrigins, ['https://a.example', 'https://b.example'])
})

t.test('a number or boolean where text is meant stays a mistake: only text from the environment is coerced', async (t) => {
  t.same(problems(() => parseConfig({ tokens, routes, headers: { claims: { 'x-a': 7 } } })), ['headers.claims.x-a: must be a string'])
  t.same(problems(() => parseConfig({ tokens: { ...tokens, issuer: true }, routes })), ['tokens.issuer: must be a string'])
  t.equal(parseConfig({ tokens, routes, server: { port: '${PORT}' } }, { env: { PORT: '9000' } }).server.port, 9000, 'text to a number still works')
})

t.test('nothing in the file is coerced: only text a ${VAR} or AUTHGATE_* variable gave becomes a number or boolean', async (t) => {
  t.ok(problems(() => parseConfig({ tokens, routes, rateLimit: 0 })).some((line) => line.startsWith('rateLimit: ')), 'rateLimit: 0 is not false (all limits off)')
  t.same(problems(() => parseConfig({ tokens, routes, cookie: { secure: 0 } })), ['cookie.secure: must be true or false'])
  t.same(problems(() => parseConfig({ tokens, routes, auth: { registration: 1 } })), ['auth.registration: must be true or false'])
  t.same(problems(() => parseConfig({ tokens, routes, server: { port: true } })), ['server.port: must be a whole number'])
  const env = { PORT: '8080', S: 'false', R: 'true', AUTHGATE_SERVER_HOST: '::1' }
  const config = parseConfig({ tokens, routes, server: { port: '${PORT}' }, cookie: { secure: '${S}' }, auth: { registration: '${R}' } }, { env })
  t.equal(config.server.port, 8080, 'server.port from ${PORT}')
  t.equal(config.cookie.secure, false, 'cookie.secure from ${S}')
  t.equal(config.registration, true, 'auth.registration from ${R}')
  t.equal(parseConfig({ tokens, routes }, { env: { AUTHGATE_SERVER_PORT: '9001', AUTHGATE_COOKIE_SECURE: 'false' } }).server.port, 9001, 'AUTHGATE_SERVER_PORT')
  t.same(problems(() => parseConfig({ tokens, routes, server: { port: '${PORT}' } }, { env: { PORT: 'http' } })), ['server.port: must be a whole number'], 'text that is no number stays refused')
})

t.test('__proto__, constructor and prototype keys in a file are refused as unknown (YAML and JSON)', async (t) => {
  const yamlPath = join(dir, 'proto.yaml')
  writeFileSync(yamlPath, [
    'tokens: { keys: [{ kid: k, algorithm: HS256, secret: "' + SECRET + '" }] }',
    'routes: [{ prefix: /api, upstream: "http://127.0.0.1:1" }]',
    'auth:',
    '  __proto__: { registration: false }',
    'headers: { constructor: { userId: x-u } }'
  ].join('\n'))
  t.same([...problems(() => loadConfig(yamlPath, { env: {} }))].sort(), ['auth.__proto__: unknown key', 'headers.constructor: unknown key'])
  const jsonPath = join(dir, 'proto.json')
  writeFileSync(jsonPath, `{"tokens": ${JSON.stringify(tokens)}, "routes": ${JSON.stringify(routes)}, "auth": {"__proto__": {"registration": false}}, "__proto__": {"x": 1}}`)
  t.same([...problems(() => loadConfig(jsonPath, { env: {} }))].sort(), ['__proto__: unknown key', 'auth.__proto__: unknown key'])
  t.same(problems(() => parseConfig(JSON.parse(`{"tokens": ${JSON.stringify(tokens)}, "routes": ${JSON.stringify(routes)}, "cookie": {"prototype": {"secure": false}}}`))), ['cookie.prototype: unknown key'])
})

t.test('the plugin\'s old top-level names are not aliases in a gateway file: unknown keys, as written', async (t) => {
  t.same(problems(() => parseConfig({ tokens, routes, registration: true })), ['registration: unknown key'])
  t.same(problems(() => parseConfig({ tokens, routes, prefix: '/x' })), ['prefix: unknown key'])
  const kek = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY='
  const config = parseConfig({ store: { mongodb: { url: 'mongodb://127.0.0.1:1/x' } }, tokens: { keyStore: 'database', keyEncryptionKey: kek }, routes })
  t.equal(config.tokens.keyRing?.store, 'database', 'the gateway\'s own former key-ring names still work')
  t.equal(config.deprecations.length, 2)
})

t.test('server.trustProxy: empty text is refused (file and environment), not read as trusting a proxy', async (t) => {
  t.same(problems(() => parseConfig({ tokens, routes, server: { trustProxy: '' } })), ['server.trustProxy: must not be empty'])
  t.same(problems(() => parseConfig({ tokens, routes }, { env: { AUTHGATE_SERVER_TRUST_PROXY: '' } })), ['server.trustProxy: must not be empty'])
  t.same(problems(() => parseConfig({ tokens, routes, server: { trustProxy: ['10.0.0.1', ''] } })), ['server.trustProxy[1]: must not be empty'])
  t.equal(parseConfig({ tokens, routes, server: { trustProxy: '10.0.0.1' } }).server.trustProxy, '10.0.0.1')
})

t.test('config check warns on a lifetime written as a bare number below 1000 (milliseconds now, seconds meant)', async (t) => {
  const raw = { tokens: { ...tokens, reuseGrace: 10, clockTolerance: 30, revocationDelay: 500 }, routes: [{ ...routes[0], timeout: 300 }] }
  const found = configWarnings(parseConfig(raw), raw).filter((line) => line.includes('bare numbers are milliseconds'))
  t.same(found.map((line) => line.split(' is ')[0]).sort(), ['routes[0].timeout', 'tokens.clockTolerance', 'tokens.reuseGrace', 'tokens.revocationDelay'])
  t.ok(found.some((line) => line.startsWith('tokens.reuseGrace is 10: 10 milliseconds') && line.endsWith('did you mean 10s?')), found.join('\n'))
  t.ok(found.some((line) => line.startsWith('tokens.clockTolerance is 30:')), found.join('\n'))
  t.ok(found.some((line) => line.startsWith('tokens.revocationDelay is 500:')), found.join('\n'))
  const units = { tokens: { ...tokens, reuseGrace: '10s', clockTolerance: 1500 }, routes }
  t.same(configWarnings(parseConfig(units), units).filter((line) => line.includes('bare numbers')), [], 'units, or 1000 and more: no warning')
})

t.test('a file\'s messages never mention what only code can give', async (t) => {
  const path = join(dir, 'gw.yaml')
  writeFileSync(path, [
    'store: { mongodb: { url: "mongodb://127.0.0.1:1/x" } }',
    'tokens: { keyRing: { store: memory, keyEncryptionKey: 7 } }',
    'rateLimit: { redis: 1 }',
    'routes: [{ prefix: /api, upstream: "http://127.0.0.1:1" }]'
  ].join('\n'))
  const found = problems(() => loadConfig(path, { env: {} }))
  t.ok(found.length >= 2, found.join('\n'))
  t.ok(found.some((line) => line === 'tokens.keyRing.store: must be one of database'), found.join('\n'))
  for (const line of found) t.notMatch(line, /KeyRingStore|in code|a function|given in code|KeyObject|Buffer/, line)
})

t.test('server.minBodyRate: the grace default is the schema\'s, for the number and the object forms', async (t) => {
  t.same(parseConfig({ tokens, routes, server: { minBodyRate: 5 } }).server.minBodyRate, { bytesPerSecond: 5, graceMs: 10_000 })
  t.same(parseConfig({ tokens, routes, server: { minBodyRate: { bytesPerSecond: 5 } } }).server.minBodyRate, { bytesPerSecond: 5, graceMs: 10_000 })
  t.same(parseConfig({ tokens, routes, server: { minBodyRate: { grace: '2s' } } }).server.minBodyRate, { bytesPerSecond: 1024, graceMs: 2000 })
  t.equal(parseConfig({ tokens, routes, server: { workers: '${W}' } }, { env: { W: '3' } }).server.workers, 3, 'a worker count from ${VAR}')
})

t.test('rateLimit: true is refused (an object of limits, or false), in the file and from the environment', async (t) => {
  t.same(problems(() => parseConfig({ tokens, routes, rateLimit: true })), ['rateLimit: must be an object, or false (off)'])
  t.same(problems(() => parseConfig({ tokens, routes, rateLimit: '${RL}' }, { env: { RL: 'true' } })), ['rateLimit: must be an object, or false (off)'])
  t.equal(parseConfig({ tokens, routes, rateLimit: false }).rateLimit, false)
  t.same(problems(() => parseConfig({ tokens, routes }, { env: { AUTHGATE_RATE_LIMIT: 'false' } })).map((line) => line.split(' (')[0]), ['AUTHGATE_RATE_LIMIT: names no configuration key'], 'a whole section from the environment is said to name no key, not ignored')
})
