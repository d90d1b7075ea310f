// Issue #11 item 14: `authgate config check FILE` runs every check `authgate start` runs (they call one function,
// startup-checks.ts), and `config check` and `doctor` print one list of warnings, which --strict turns into exit 1.
// Each refused file is also handed to buildApp (what `start` builds): config check must refuse it with the same words.
import t from 'tap'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKey, writeKeysDir } from '@authgate/fastify/tokens'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { literalSecrets } from '../src/cli/literal-secrets.js'
import { runCli, runMain } from './cli-helpers.js'

// Each spawned `authgate` compiles the sources first (tens of seconds on a busy 2-core machine): tap's 120 s default
// is too close for a file that spawns several.
t.setTimeout(300_000)

const dir = mkdtempSync(join(tmpdir(), 'authgate-config-check-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

const run = runMain

function file (name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

/** A key directory holding `keys` exactly as given (a manifest written by hand, as an operator might). */
function keyDir (name: string, keys: Array<{ kid: string, alg: string, secret?: Buffer, privateKey?: string, publicKey?: string }>): string {
  const path = join(dir, name)
  mkdirSync(path, { recursive: true })
  const manifest = keys.map(({ kid, alg, secret, privateKey, publicKey }) => {
    const item: Record<string, string> = { kid, alg }
    if (secret !== undefined) writeFileSync(join(path, item.secret = `${kid}.secret`), secret.toString('base64url'))
    if (privateKey !== undefined) writeFileSync(join(path, item.privateKey = `${kid}.private.pem`), privateKey)
    if (publicKey !== undefined) writeFileSync(join(path, item.publicKey = `${kid}.public.pem`), publicKey)
    return item
  })
  writeFileSync(join(path, 'keys.json'), JSON.stringify({ version: 1, signing: keys[0]?.kid ?? null, keys: manifest }))
  return path
}

const goodKeys = join(dir, 'good-keys')
writeKeysDir(goodKeys, [generateKey('EdDSA')])
const route = 'routes:\n  - { prefix: /api, upstream: http://127.0.0.1:1, auth: required, roles: [user] }\n'
const pem = (pair: { privateKey: { export: (o: { type: 'pkcs8' | 'spki', format: 'pem' }) => string | Buffer }, publicKey: { export: (o: { type: 'pkcs8' | 'spki', format: 'pem' }) => string | Buffer } }) =>
  ({ privateKey: String(pair.privateKey.export({ type: 'pkcs8', format: 'pem' })), publicKey: String(pair.publicKey.export({ type: 'spki', format: 'pem' })) })
const ed = pem(generateKeyPairSync('ed25519'))
const otherEd = pem(generateKeyPairSync('ed25519'))
const rsa1024 = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }))

// Files `authgate start` refuses (each accepted by the configuration parser, refused by the plugin's own checks).
const refusedByStart: Array<[string, string]> = [
  ['a 6-byte HS256 secret in tokens.keysDir', `tokens: { keysDir: ${keyDir('hs6', [{ kid: 'hs6', alg: 'HS256', secret: Buffer.from('abcdef') }])} }\n${route}`],
  ['a 6-byte HS256 secret in tokens.keys', `tokens: { keys: [{ kid: k1, algorithm: HS256, secret: abcdef }] }\n${route}`],
  ['an HS512 secret of one repeated byte', `tokens: { keysDir: ${keyDir('hs-same', [{ kid: 'same', alg: 'HS512', secret: Buffer.alloc(64, 0x61) }])} }\n${route}`],
  ['an RS256 key of 1024 bits', `tokens: { keysDir: ${keyDir('rsa1024', [{ kid: 'rsa', alg: 'RS256', ...rsa1024 }])} }\n${route}`],
  ['an Ed25519 key declared ES256', `tokens: { keysDir: ${keyDir('wrong-curve', [{ kid: 'ec', alg: 'ES256', ...ed }])} }\n${route}`],
  ['a private key with another key\'s public half', `tokens: { keysDir: ${keyDir('mismatch', [{ kid: 'ed', alg: 'EdDSA', privateKey: ed.privateKey, publicKey: otherEd.publicKey }])} }\n${route}`],
  ['tokens.algorithm without a key of it', `tokens: { keysDir: ${goodKeys}, algorithm: RS256 }\n${route}`],
  ['tokens.maxTtl shorter than tokens.accessTtl', `tokens: { keysDir: ${goodKeys}, accessTtl: 1h, maxTtl: 10m }\n${route}`],
  ['auth.allowedOrigins with a path', `tokens: { keysDir: ${goodKeys} }\nauth: { allowedOrigins: ['https://app.example/login'] }\n${route}`],
  // Refused by route registration inside buildApp (Fastify's router), not by startup-checks.ts: config check builds the app.
  // Refused by the driver at the plugin's registration (start); config check gives the url to the driver too.
  ['a MongoDB url the driver refuses', `tokens: { keysDir: ${goodKeys} }\nstore: { mongodb: { url: 'mongodb://127.0.0.1/?tls=maybe', database: authgate } }\n${route}`],
  ['a route prefix the router cannot register', `tokens: { keysDir: ${goodKeys} }\nroutes:\n  - { prefix: '/a*', upstream: http://127.0.0.1:1, auth: none }\n`]
]

t.test('every file `start` refuses, `config check` refuses with the same message', async (t) => {
  for (const [name, text] of refusedByStart) {
    const path = file(`${name.replace(/\W+/g, '-')}.yaml`, text)
    // Start reads the file, then builds: the refusal may come from either (the plugin's key rules are read-time now).
    const built = await Promise.resolve().then(async () => await buildApp(loadConfig(path), { logger: false })).then(async (app) => { await app.close(); return undefined }, (error: unknown) => (error as Error).message)
    t.type(built, 'string', `${name}: the app start builds refuses it`)
    const checked = await run('config', 'check', path)
    t.equal(checked.code, 1, `${name}: config check exits 1 (${checked.stdout.trim()})`)
    t.ok(built !== undefined && checked.stderr.includes(built), `${name}: with start's words: ${checked.stderr.trim()}`)
  }
})

t.test('the spawned CLI: `start` and `config check` refuse a 6-byte HS256 secret alike', async (t) => {
  const [, text] = refusedByStart[0] ?? ['', '']
  const path = file('spawned-hs6.yaml', text)
  const [start, check] = await Promise.all([runCli(['start', '--config', path]), runCli(['config', 'check', path])])
  t.equal(start.code, 1, start.stderr)
  t.equal(check.code, 1, check.stderr)
  t.match(check.stderr, /tokens\.keys\[0\]\.secret:? must be at least 32 bytes for HS256/)
  t.equal(check.stderr.replace('authgate config:', ''), start.stderr.replace('authgate start:', ''), 'the same message')
})

// A configuration that warns about nothing: stored sessions, Secure cookies, short tokens, registration off.
process.env.AUTHGATE_CHECK_TEST_DB = 'mongodb://127.0.0.1:1/'
process.env.AUTHGATE_CHECK_TEST_KEK = randomBytes(32).toString('hex')
const CLEAN = `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keysDir: ${goodKeys} }\n`

const warned: Array<[string, string, RegExp]> = [
  ['trustProxy: true', `server: { trustProxy: true }\n${CLEAN}${route}`, /server\.trustProxy is true/],
  ['trustProxy without publicOrigin', `server: { trustProxy: 10.0.0.1 }\n${CLEAN}${route}`, /server\.trustProxy without server\.publicOrigin/],
  ['cookie.secure: false', `${CLEAN}cookie: { secure: false }\n${route}`, /cookie\.secure is false/],
  ['access tokens over 1 h', `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keysDir: ${goodKeys}, accessTtl: 2h }\n${route}`, /tokens\.accessTtl is 2 h/],
  ['maxTtl over 1 h', `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keysDir: ${goodKeys}, maxTtl: 1d }\n${route}`, /tokens\.maxTtl is 24 h/],
  ['reuse grace over 30 s', `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keysDir: ${goodKeys}, reuseGrace: 45s }\n${route}`, /tokens\.reuseGrace is 45 s/],
  ['clock tolerance over 60 s', `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keysDir: ${goodKeys}, clockTolerance: 61s }\n${route}`, /tokens\.clockTolerance is 61 s/],
  ['open registration before a role-less required route', `${CLEAN}auth: { registration: true }\nroutes:\n  - { prefix: /api, upstream: http://127.0.0.1:1, auth: required }\n  - { prefix: /admin, upstream: http://127.0.0.1:1, roles: [admin] }\n`,
    /SEVERE: auth\.registration is true and route \/api admits any registered stranger/],
  ['open registration before a route that only asks for the role registration grants', `${CLEAN}auth: { registration: true }\nroutes:\n  - { prefix: /api, upstream: http://127.0.0.1:1, roles: [user, staff] }\n`,
    /SEVERE: auth\.registration is true and route \/api admits any registered stranger/],
  ['open registration even when every route asks for other roles', `${CLEAN}auth: { registration: true }\nroutes:\n  - { prefix: /admin, upstream: http://127.0.0.1:1, roles: [admin] }\n`,
    /auth\.registration is true: anyone can create an account/],
  ['rateLimit: false', `${CLEAN}rateLimit: false\n${route}`, /rateLimit is false/],
  ['revocationDelay over 60 s', `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keysDir: ${goodKeys}, revocationDelay: 2m }\n${route}`, /tokens\.revocationDelay is 2 min/],
  ['a legacy login over plain HTTP off loopback', `${CLEAN}users: { source: upstream, url: 'http://legacy.example/login' }\n${route}`, /users\.url: the legacy login legacy\.example is reached over plain HTTP/],
  ['a legacy login on a host that only starts like loopback', `${CLEAN}users: { source: upstream, url: 'http://localhost.evil.example/login' }\n${route}`, /users\.url: the legacy login localhost\.evil\.example/],
  ['a database URL with a literal password', `store: { mongodb: { url: 'mongodb://app:s3cret@db.example:27017/' } }\ntokens: { keysDir: ${goodKeys} }\n${route}`, /store\.mongodb\.url is a secret written in the file/],
  ['a literal key-encryption key', `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keyStore: database, keyEncryptionKey: ${randomBytes(32).toString('hex')} }\n${route}`, /tokens\.keyEncryptionKey is a secret written in the file/],
  ['a literal HS256 secret', `${CLEAN.replace(`keysDir: ${goodKeys}`, `keys: [{ kid: k1, algorithm: HS256, secret: ${randomBytes(48).toString('base64url')} }]`)}${route}`, /tokens\.keys\[0\]\.secret is a secret written in the file/],
  ['a Redis URL with a literal password', `${CLEAN}rateLimit: { redis: 'redis://:hunter2@127.0.0.1:6379' }\n${route}`, /rateLimit\.redis is a secret written in the file/]
]

t.test('config check and doctor print one list of warnings; --strict makes them exit 1', async (t) => {
  const clean = file('clean.yaml', `${CLEAN}${route}`)
  const ok = await run('config', 'check', clean, '--strict')
  t.equal(ok.code, 0, ok.stdout)
  t.notMatch(ok.stdout, /WARNING/)
  t.equal((await run('doctor', '--config', clean, '--offline', '--strict')).code, 0, 'doctor --strict: nothing to warn about')
  for (const [name, text, pattern] of warned) {
    const path = file(`warn-${name.replace(/\W+/g, '-')}.yaml`, text)
    const checked = await run('config', 'check', path)
    t.equal(checked.code, 0, `${name}: still a valid file (${checked.stderr.trim()})`)
    t.match(checked.stdout, pattern, `${name}: config check warns`)
    const strict = await run('config', 'check', path, '--strict')
    t.equal(strict.code, 1, `${name}: --strict exits 1`)
    const doctor = await run('doctor', '--config', path, '--offline')
    t.match(doctor.stdout, new RegExp(`WARNING ${pattern.source}`), `${name}: doctor warns the same`)
    t.equal((await run('doctor', '--config', path, '--offline', '--strict')).code, 1, `${name}: doctor --strict exits 1`)
  }
})

t.test('secrets read from the environment are not warned about, nor URLs without a password, nor an empty trustProxy list, nor a loopback legacy login', async (t) => {
  const quiet = [
    `store: { mongodb: { url: 'mongodb://app:\${AUTHGATE_CHECK_TEST_PW}@127.0.0.1:1/' } }\ntokens: { keysDir: ${goodKeys} }\n${route}`,
    `store: { mongodb: { url: 'mongodb://app@127.0.0.1:1/' } }\ntokens: { keysDir: ${goodKeys} }\n${route}`,
    `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keyStore: database, keyEncryptionKey: \${AUTHGATE_CHECK_TEST_KEK} }\n${route}`,
    `server: { trustProxy: [] }\n${CLEAN}${route}`,
    `store: { mongodb: { url: \${AUTHGATE_CHECK_TEST_DB} } }\ntokens: { keysDir: ${goodKeys}, reuseGrace: 30s }\n${route}`,
    `${CLEAN}users: { source: upstream, url: 'http://127.0.0.1:9/login', lookupUrl: 'http://127.0.0.1:9/lookup' }\n${route}`
  ]
  process.env.AUTHGATE_CHECK_TEST_PW = 's3cret'
  for (const [index, text] of quiet.entries()) {
    const checked = await run('config', 'check', file(`quiet-${index}.yaml`, text), '--strict')
    t.equal(checked.code, 0, `${text.split('\n')[0] ?? ''}: ${checked.stdout}`)
  }
})

t.test('open registration: the severe warning names only routes a registered stranger passes', async (t) => {
  const text = `${CLEAN}auth: { registration: true }\nroutes:\n  - { prefix: /admin, upstream: http://127.0.0.1:1, roles: [admin] }\n  - { prefix: /pub, upstream: http://127.0.0.1:1, auth: none }\n  - { prefix: /me, upstream: http://127.0.0.1:1, auth: optional }\n`
  const checked = await run('config', 'check', file('registration-severe.yaml', text))
  t.match(checked.stdout, /SEVERE: auth\.registration is true and route \/me admits/)
  t.notMatch(checked.stdout, /route \/admin admits|route \/pub/, 'not the routes that need another role, nor anonymous ones')
})

t.test('literal secrets: every place a URL or a value can carry one, and references or names that are not secrets', async (t) => {
  const flagged: Array<[string, unknown]> = [
    ['a password in the userinfo', { store: { mongodb: { url: 'mongodb://app:s3cret@db:27017/' } } }],
    ['a lone userinfo of a Redis URL (taken as the password)', { rateLimit: { redis: 'redis://TOKEN@127.0.0.1:6379' } }],
    ['a lone userinfo shaped like a token', { users: { url: 'https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@legacy.example/login' } }],
    ['an api_key query parameter', { users: { url: 'https://legacy.example/login?api_key=abc123' } }],
    ['an access_token query parameter', { users: { url: 'https://legacy.example/login?x=1&access_token=abc' } }],
    ['a signature query parameter', { notifications: { newDeviceWebhook: 'https://bucket.example/hook?X-Amz-Signature=abcdef' } }],
    ['a sig query parameter', { notifications: { newDeviceWebhook: 'https://hooks.example/h?sv=1&sig=abcdef' } }],
    ['a password query parameter, percent-encoded name', { store: { mongodb: { url: 'mongodb://db/?pass%77ord=x' } } }],
    ['a token in a webhook path', { notifications: { newDeviceWebhook: 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX1' } }],
    ['a number under a secret key', { store: { password: 12345678 } }],
    ['a literal next to a reference', { tokens: { keys: [{ secret: 'abc${SECRET}' }] } }],
    ['a malformed reference is no reference', { tokens: { keys: [{ secret: '${not a name}' }] } }]
  ]
  for (const [name, raw] of flagged) t.equal(literalSecrets(raw).length, 1, name)
  const quiet: Array<[string, unknown]> = [
    ['a password from the environment', { store: { mongodb: { url: 'mongodb://app:${PW}@db/' } } }],
    ['a Redis password from the environment', { rateLimit: { redis: 'redis://${REDIS_TOKEN}@127.0.0.1:6379' } }],
    ['a lone account name', { store: { mongodb: { url: 'mongodb://app@db/' } } }],
    ['an X.509 subject', { store: { mongodb: { url: 'mongodb://CN%3Dclient%2COU%3Dapps%2CO%3DExample@db/?authMechanism=MONGODB-X509' } } }],
    ['query parameters that are not secrets', { store: { mongodb: { url: 'mongodb://db/?authSource=admin&authMechanism=SCRAM-SHA-256&tls=true' } } }],
    ['an empty secret parameter', { users: { url: 'https://legacy.example/login?token=' } }],
    ['a query secret from the environment', { users: { url: 'https://legacy.example/login?api_key=${KEY}' } }],
    ['an upstream path that looks like a token (not a webhook)', { routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1/v2/a1b2c3d4e5f6g7h8i9' }] }],
    ['a webhook path of words', { notifications: { newDeviceWebhook: 'https://hooks.example/authgate/new-device-events' } }],
    ['a number under another key', { server: { port: 8080 } }]
  ]
  for (const [name, raw] of quiet) t.same(literalSecrets(raw), [], name)
})

t.test('doctor fails only where config check fails: what config check warns about is a warning to doctor too (exit 1 with --strict only)', async (t) => {
  const path = file('doctor-exposed-plain-cookie.yaml', `server: { host: 0.0.0.0 }\n${CLEAN}cookie: { secure: false }\n${route}`)
  const checked = await run('config', 'check', path)
  t.equal(checked.code, 0, checked.stdout)
  t.match(checked.stdout, /WARNING cookie\.secure is false.*server\.host 0\.0\.0\.0 is reachable from other machines/)
  const doctor = await run('doctor', '--config', path, '--offline')
  t.equal(doctor.code, 0, doctor.stdout)
  t.match(doctor.stdout, /WARNING cookie\.secure is false.*server\.host 0\.0\.0\.0/)
  t.notMatch(doctor.stdout, /PROBLEM/)
  t.equal((await run('doctor', '--config', path, '--offline', '--strict')).code, 1)
  const refused = await run('doctor', '--config', file('doctor-router-refuses.yaml', `tokens: { keysDir: ${goodKeys} }\nroutes:\n  - { prefix: '/a*', upstream: http://127.0.0.1:1, auth: none }\n`), '--offline')
  t.equal(refused.code, 1, 'a file start cannot build is a problem to doctor as well')
  t.match(refused.stdout, /PROBLEM authgate start refuses this file/)
})
