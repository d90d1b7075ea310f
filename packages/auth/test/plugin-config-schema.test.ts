// Issue #12 items 1 and 5 on the plugin side: one schema, every problem at once with its path, unknown keys with a
// suggestion, durations read one way (a bare number is milliseconds, rate-limit windows included), renamed options
// kept as warned aliases, and keys that cannot be read failing registration.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import t from 'tap'
import authgate, { ConfigValidationError, type AuthgateOptions } from '../src/index.js'
import { normaliseOptions } from '../src/config.js'
import { durationMs, parseDuration, pluginSchema } from '../src/config.js'
import { testKey } from './helpers/keys.js'
import { buildApp, login, register } from './helpers/app.js'

const keys = [testKey('EdDSA')]

async function registrationError (options: Record<string, unknown>): Promise<Error> {
  const app = Fastify({ logger: false })
  // @ts-expect-error deliberately wrong options, as they may come from an untyped config file
  app.register(authgate, options)
  try {
    await app.ready()
  } catch (error) {
    return error as Error
  } finally {
    await app.close()
  }
  throw new Error('ready() resolved')
}

t.test('one duration parser: units, compound forms, digits as milliseconds', async (t) => {
  const cases: Array<[unknown, number | undefined]> = [
    ['500ms', 500], ['90s', 90_000], ['15m', 900_000], ['1h30m', 5_400_000], ['7d', 604_800_000], ['1d12h', 129_600_000],
    [1500, 1500], ['1500', 1500], ['1.5s', 1500], [0, 0],
    ['30m1h', undefined], ['1m1m', undefined], ['15 minutes', undefined], ['', undefined], [-1, undefined], ['-5s', undefined],
    [Number.POSITIVE_INFINITY, undefined], [true, undefined], [null, undefined]
  ]
  for (const [input, expected] of cases) t.equal(durationMs(input), expected, JSON.stringify(input))
  t.throws(() => parseDuration('soon', 'tokens.accessTtl'), /^tokens\.accessTtl must be a duration: milliseconds \(a number\) or a string like 500ms, 90s, 15m, 1h30m, 7d$/)
})

t.test('a typo is refused with a suggestion, before ready() resolves', async (t) => {
  const error = await registrationError({ tokens: { keys, accesTtl: '10m' }, cookies: { secure: false } })
  t.type(error, ConfigValidationError)
  t.match(error, { code: 'AUTHGATE_CONFIG_INVALID' })
  t.match(error.message, /tokens\.accesTtl: unknown key \(did you mean accessTtl\?\)/)
  t.match(error.message, /cookies: unknown key \(did you mean cookie\?\)/)
})

t.test('every problem is reported at once, one line each', async (t) => {
  const error = await registrationError({
    tokens: { keys, refreshTtl: 'a month' },
    cookie: { sameSite: 'sideways' },
    rateLimit: { login: { max: 0 } }
  })
  if (!(error instanceof ConfigValidationError)) throw error
  t.same([...error.issues].sort(), [
    'cookie.sameSite: must be one of strict, lax, none',
    'rateLimit.login.max: must be at least 1',
    'tokens.refreshTtl: must be a duration: milliseconds (a number) or a string like 500ms, 90s, 15m, 1h30m, 7d'
  ])
  t.match(error.message, /3 problems/)
})

t.test('cross-key rules join the same list', async (t) => {
  const error = await registrationError({ tokens: { keys, idleTimeout: '40d' }, cookie: { secure: false, sameSite: 'none' }, auth: { registration: 'yes' } })
  if (!(error instanceof ConfigValidationError)) throw error
  t.ok(error.issues.includes('cookie.sameSite: none requires cookie.secure: true'))
  t.ok(error.issues.includes('tokens.idleTimeout: must not be longer than tokens.refreshTtl'))
  t.ok(error.issues.includes('auth.registration: must be true or false'))
})

t.test('secret values are never quoted in errors', async (t) => {
  const secret = 'not-base64-but-a-secret!!'
  const error = await registrationError({ tokens: { keyRing: { store: 'database', keyEncryptionKey: secret } } })
  t.match(error.message, /tokens\.keyRing\.keyEncryptionKey/)
  t.notMatch(error.message, secret)
})

t.test('deprecated top-level options keep working and warn once each, naming the new key', async (t) => {
  const options = normaliseOptions({ tokens: { keys }, prefix: '/api/auth', registration: false, revocationFailClosedAfter: '1m' })
  t.equal(options.prefix, '/api/auth')
  t.equal(options.registration, false)
  t.equal(options.revocationFailClosedAfterMs, 60_000)
  t.same(options.warnings, ['prefix is deprecated: use auth.prefix', 'registration is deprecated: use auth.registration', 'revocationFailClosedAfter is deprecated: use revocation.failClosedAfter'])
  t.throws(() => normaliseOptions({ tokens: { keys }, prefix: '/a', auth: { prefix: '/b' } }), /prefix: and auth\.prefix are the same option/)

  const lines: string[] = []
  const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => { lines.push(line) } } } })
  await app.register(authgate, { tokens: { keys }, reuseDetection: 'report' })
  await app.ready()
  await app.close()
  const warnings = lines.map((line) => JSON.parse(line) as { msg: string, event?: string }).filter((line) => line.event === 'deprecated_option')
  t.same(warnings.map((line) => line.msg), ['authgate: reuseDetection is deprecated: use auth.reuseDetection'])
})

t.test("the gateway's key-ring names are aliases of tokens.keyRing", async (t) => {
  const kek = randomBytes(32).toString('base64')
  const options = normaliseOptions({ store: { memory: true }, tokens: { keyStore: 'database', keyEncryptionKey: kek, keyRefresh: '2s' } })
  t.equal(options.keyRing?.store, 'database')
  t.equal(options.keyRing?.refreshMs, 2000)
  t.equal(options.warnings.length, 3)
})

t.test('the caller\'s options object is left as it was', async (t) => {
  const input = { tokens: { keys }, cookie: { secure: false }, prefix: '/x' }
  normaliseOptions(input)
  t.same(input, { tokens: { keys }, cookie: { secure: false }, prefix: '/x' })
})

t.test('__proto__, constructor and prototype keys are refused as unknown, never turned into a prototype', async (t) => {
  // JSON.parse (and YAML) keep `__proto__` as an own key: copied with `copy[key] = …` it would become the prototype,
  // and registration would fall back to its default.
  const input = { tokens: { keys }, auth: JSON.parse('{"__proto__": {"registration": false}}') as Record<string, unknown>, cookie: JSON.parse('{"constructor": {"secure": false}}') as Record<string, unknown>, store: { memory: true, prototype: 1 } } as unknown as AuthgateOptions
  const error = t.throws(() => normaliseOptions(input)) as ConfigValidationError
  t.same([...error.issues].sort(), ['auth.__proto__: unknown key', 'cookie.constructor: unknown key', 'store.prototype: unknown key'])
  const root = JSON.parse('{"__proto__": {"auth": {"registration": true}}}') as Record<string, unknown>
  t.same((t.throws(() => normaliseOptions({ ...root, tokens: { keys } })) as ConfigValidationError).issues, ['__proto__: unknown key'])
})

t.test('rateLimit.timeWindow: a bare number is milliseconds, as @fastify/rate-limit reads it', async (t) => {
  const app = await buildApp(t, 'memory', { options: { rateLimit: { register: { max: 1, timeWindow: 1000 } } } })
  t.equal((await register(app, 'w1@example.com')).statusCode, 201)
  t.equal((await register(app, 'w2@example.com')).statusCode, 429, 'the second call in the window is refused')
  let admitted = false
  // Bounded: the window is one second; give it at most three.
  for (let attempt = 0; attempt < 30 && !admitted; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    admitted = (await register(app, `w3-${attempt}@example.com`)).statusCode === 201
  }
  t.ok(admitted, 'admitted again after about a second, not after 1000 seconds')
  t.ok((await login(app, 'w1@example.com')).statusCode !== 429)
})

t.test('tokens.keysDir that cannot be read fails ready(), naming the path and the reason', async (t) => {
  const missing = join(tmpdir(), 'authgate-no-such-keys-dir')
  const error = await registrationError({ tokens: { keysDir: missing } })
  t.match(error.message, `tokens.keysDir: cannot read the key manifest ${join(missing, 'keys.json')} (ENOENT)`)
  const dir = mkdtempSync(join(tmpdir(), 'authgate-bad-keys-'))
  writeFileSync(join(dir, 'keys.json'), '{"keys": 5}')
  t.match((await registrationError({ tokens: { keysDir: dir } })).message, /tokens\.keysDir: .*keys\.json must be an object with a "keys" array/)
})

t.test('store.mongodb admits the limits and names the MongoDB store reads, within bounds', async (t) => {
  const mongodb = { url: 'mongodb://127.0.0.1:1/', database: 'd', serverSelectionTimeoutMS: 500, maxTimeMS: 1000, operationTimeoutMS: 2000, collections: { users: 'u', rotations: 'r' } }
  const options = normaliseOptions({ store: { mongodb }, tokens: { keys } })
  t.same(options.store, { mongodb: { ...mongodb, collections: { users: 'u', sessions: 'sessions', devices: 'devices', rotations: 'r', revocations: 'revocations', networks: 'networks', oneTimeTokens: 'oneTimeTokens', audit: 'audit' } } })
  const filled = normaliseOptions({ store: { mongodb: { url: 'mongodb://127.0.0.1:1/', database: 'd' } }, tokens: { keys } })
  t.same(filled.store, { mongodb: { url: 'mongodb://127.0.0.1:1/', database: 'd', serverSelectionTimeoutMS: 3000, maxTimeMS: 3000 } }, 'defaults filled')
  const hooks = { onCommandStarted: () => {}, logger: { warn: () => {} } }
  t.doesNotThrow(() => normaliseOptions({ store: { mongodb: { url: 'mongodb://127.0.0.1:1/', database: 'd', ...hooks } }, tokens: { keys } }), 'code-only hooks accepted')
  const error = await registrationError({
    store: { mongodb: { url: 'mongodb://127.0.0.1:1/', serverSelectionTimeoutMS: 0, maxTimeMS: '1s', operationTimeoutMs: 5, collections: { sessions: 'system.x', device: 'd' } } },
    tokens: { keys }
  })
  if (!(error instanceof ConfigValidationError)) throw error
  t.same([...error.issues].sort(), [
    'store.mongodb.collections.device: unknown key (did you mean devices?)',
    'store.mongodb.collections.sessions: must be a collection name (no `$`, not `system.`…)',
    'store.mongodb.maxTimeMS: must be a whole number',
    'store.mongodb.operationTimeoutMs: unknown key (did you mean operationTimeoutMS?)',
    'store.mongodb.serverSelectionTimeoutMS: must be at least 100'
  ])
})

t.test('the schema describes every key and refuses unknown ones everywhere', async (t) => {
  const visit = (schema: Record<string, unknown>, path: string): void => {
    if (schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object'))) {
      if (schema.properties !== undefined) t.equal(schema.additionalProperties, false, `${path} refuses unknown keys`)
      for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        t.ok(typeof child.description === 'string' && child.description.length > 0, `${path}.${key} has a description`)
        visit(child, `${path}.${key}`)
      }
    }
    for (const branch of (schema.anyOf ?? []) as Array<Record<string, unknown>>) visit(branch, path)
    if (schema.items !== undefined) visit(schema.items as Record<string, unknown>, `${path}[]`)
  }
  visit(pluginSchema(), '(options)')
})
