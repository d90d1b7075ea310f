// docs/design.md#failure-behaviour "several instances" and docs/security.md D.53, issue #6: two instances on ONE
// database and ONE Redis, driven alternately, allow the attempts of one instance, not twice as many. Per-IP limits and
// the per-account lockout are counted in Redis; a Redis that stops answering makes login answer 503 within the bound
// (never unlimited), while Bearer checks, which never touch Redis, go on. Each test uses its own key prefix, so tests
// sharing the Redis of test/run.mjs never see each other's counters.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { AuthgateOptions } from '@authgate/fastify'
import { buildApp, parseConfig } from '@authgate/gateway'
import { useTestDatabase } from '@authgate/test-kit/database'
import { startRedisServer, testRedisUrl } from '@authgate/test-kit/redis'
import { call, login, PASSWORD, register, signIn, sharedKeys, sleep, startApp, tryCall, waitUntil, type RunningApp, type Teardown } from '../faults/helpers/app.js'

type Limits = Exclude<NonNullable<AuthgateOptions['rateLimit']>, false>

const WRONG = 'not the password at all'
let users = 0
const nextEmail = (): string => `limits-${++users}-${randomBytes(3).toString('hex')}@example.com`
const freshPrefix = (): string => `test:${randomBytes(6).toString('hex')}:`

async function suite (redisUrl: string): Promise<void> {
  const { url, name: database } = await useTestDatabase(t, 'limits')

  /** Two plugin apps on the same database and Redis namespace. Generous limits unless the test sets them. */
  async function twoInstances (test: Teardown, limits: Limits, extra: Partial<AuthgateOptions> = {}): Promise<[RunningApp, RunningApp]> {
    const rateLimit: Limits = {
      redis: redisUrl,
      keyPrefix: freshPrefix(),
      login: { max: 1000, timeWindow: '1m' },
      register: { max: 1000, timeWindow: '1m' },
      accountFailures: { max: 1000, timeWindow: '15m' },
      ...limits
    }
    const build = async (): Promise<RunningApp> => startApp(test, { url, database, options: { rateLimit, ...extra } })
    return [await build(), await build()]
  }

  t.test('per-IP login limit of 4 across both instances: the 5th attempt, on either, is 429 + Retry-After', async (t) => {
    const [a, b] = await twoInstances(t, { login: { max: 4, timeWindow: '1m' } })
    const statuses: number[] = []
    for (let attempt = 0; attempt < 4; attempt++) statuses.push((await login((attempt % 2 === 0 ? a : b).base, nextEmail(), WRONG)).status)
    t.same(statuses, [401, 401, 401, 401], 'four attempts (two on each instance) are answered')
    for (const [name, app] of [['A', a], ['B', b]] as const) {
      const limited = await login(app.base, nextEmail(), WRONG)
      t.equal(limited.status, 429, `${name} refuses the next attempt: both counted the same four`)
      t.equal(limited.body.code, 'AUTH_RATE_LIMITED')
      const retryAfter = Number(limited.headers.get('retry-after'))
      t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After within the window (${retryAfter} s)`)
    }
  })

  t.test('per-account failures across both: locked on both, and the right password during the lockout is 429', async (t) => {
    const [a, b] = await twoInstances(t, { accountFailures: { max: 3, timeWindow: '15m' } })
    const email = nextEmail()
    t.equal((await register(a.base, email)).status, 201)
    const failures: number[] = []
    for (let attempt = 0; attempt < 3; attempt++) failures.push((await login((attempt % 2 === 0 ? b : a).base, email, WRONG)).status)
    t.same(failures, [401, 401, 401], 'three wrong passwords, spread over both instances')
    for (const [name, app] of [['A', a], ['B', b]] as const) {
      const locked = await login(app.base, email, PASSWORD)
      t.equal(locked.status, 429, `${name}: the right password is refused during the lockout (no oracle)`)
      t.equal(locked.body.code, 'AUTH_RATE_LIMITED')
      t.equal(locked.headers.get('retry-after'), '30', `${name}: Retry-After is the first lockout, 30 s`)
      t.equal(locked.rt, undefined, 'no session issued')
    }
    t.equal((await login(a.base, nextEmail(), WRONG)).status, 401, 'other accounts are not locked')
  })

  t.test('40 parallel guesses split across both instances: never more than max password verifications', async (t) => {
    let verifications = 0
    let inFlight = 0
    let peak = 0
    // Counts what reaches the password check; slow enough that the guesses really overlap.
    const verifyCredentials: AuthgateOptions['verifyCredentials'] = async (_email, password) => {
      verifications++
      peak = Math.max(peak, ++inFlight)
      await sleep(150)
      inFlight--
      return password === PASSWORD ? { id: 'u-parallel', roles: [] } : null
    }
    const [a, b] = await twoInstances(t, { accountFailures: { max: 5, timeWindow: '15m' } }, { verifyCredentials })
    const email = nextEmail()
    const answers = await Promise.all(Array.from({ length: 40 }, async (_, index) => login((index % 2 === 0 ? a : b).base, email, `${WRONG}-${index}`)))
    const counts = new Map<number, number>()
    for (const answer of answers) counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1)
    t.ok(verifications <= 5, `at most 5 verifications across both instances (${verifications}; peak ${peak} at once)`)
    t.ok(verifications >= 1, 'and some did run')
    t.equal(counts.get(401) ?? 0, verifications, 'each verification answered 401')
    t.equal(counts.get(429) ?? 0, 40 - verifications, `the others were refused before any check (${JSON.stringify([...counts])})`)
    t.equal((await login(b.base, email, PASSWORD)).status, 429, 'and the account is locked for the right password too')
  })

  t.test('register and refresh limits are shared too', async (t) => {
    const [a, b] = await twoInstances(t, { register: { max: 2, timeWindow: '1m' }, refresh: { max: 2, timeWindow: '1m' } })
    t.equal((await register(a.base, nextEmail())).status, 201)
    t.equal((await register(b.base, nextEmail())).status, 201)
    t.equal((await register(a.base, nextEmail())).status, 429, 'third registration (first on A, second on B) refused')
    const first = await call(a.base, '/auth/refresh', { cookie: 'x'.repeat(43) })
    const second = await call(b.base, '/auth/refresh', { cookie: 'x'.repeat(43) })
    t.same([first.status, second.status], [401, 401])
    t.equal((await call(a.base, '/auth/refresh', { cookie: 'x'.repeat(43) })).status, 429, 'third refresh refused')
  })

  t.test('Redis stopped: login 503 + Retry-After within 2 s on both instances, Bearer routes unaffected; back when Redis is', async (t) => {
    const redis = await startRedisServer()
    t.teardown(() => redis.stop())
    const rateLimit: Limits = { redis: redis.url, keyPrefix: freshPrefix() }
    const a = await startApp(t, { url, database, options: { rateLimit } })
    const b = await startApp(t, { url, database, options: { rateLimit } })
    const user = await signIn(a.base, nextEmail())
    t.equal((await call(b.base, '/private', { bearer: user.at })).status, 200, 'B serves the token before the outage')

    // Frozen (SIGSTOP to its PID): connected, but nothing answers. The bound, not a socket error, must end the wait.
    process.kill(redis.pid ?? 0, 'SIGSTOP')
    try {
      const frozen = await tryCall(a.base, '/auth/login', { body: { email: `x-${user.userId}@example.com`, password: WRONG }, timeoutMs: 8000 })
      t.equal(frozen.status, 503, 'a frozen Redis: login answers 503')
      t.ok(frozen.ms < 2500, `within the bound (${frozen.ms} ms)`)
      t.equal((await call(b.base, '/private', { bearer: user.at })).status, 200, 'Bearer unaffected meanwhile')
    } finally {
      process.kill(redis.pid ?? 0, 'SIGCONT')
    }

    await redis.stop() // SIGTERM to its PID, SIGKILL after 5 s
    for (const [name, app] of [['A', a], ['B', b]] as const) {
      for (const password of [PASSWORD, WRONG]) {
        const answer = await tryCall(app.base, '/auth/login', { body: { email: `x-${user.userId}@example.com`, password }, timeoutMs: 5000 })
        t.equal(answer.status, 503, `${name}: login answers 503 (never an unlimited attempt)`)
        t.equal(answer.body?.code, 'AUTH_STORE_UNAVAILABLE')
        t.ok(Number(answer.headers.get('retry-after')) >= 1, 'with Retry-After')
        t.ok(answer.ms < 2000, `within 2 s (${answer.ms} ms)`)
      }
      const refreshed = await tryCall(app.base, '/auth/refresh', { cookie: user.rt, timeoutMs: 5000 })
      t.equal(refreshed.status, 503, `${name}: refresh answers 503 too`)
      t.equal(refreshed.rt, undefined, 'and leaves the refresh cookie alone')
      const bearer = await call(app.base, '/private', { bearer: user.at })
      t.equal(bearer.status, 200, `${name}: a Bearer route still answers 200`)
      t.ok(bearer.ms < 1000, `promptly (${bearer.ms} ms)`)
    }

    const back = await startRedisServer({ port: redis.port })
    t.teardown(() => back.stop())
    const waited = await waitUntil(async () => (await tryCall(a.base, '/auth/login', { body: { email: `x-${user.userId}@example.com`, password: WRONG }, timeoutMs: 5000 })).status === 401, 10_000, 200)
    t.ok(waited >= 0, `limits resume once Redis is back (${waited} ms)`)
  })

  t.test('a client passed in is used and left open; a client made from a URL is closed with the app', async (t) => {
    const { Redis } = await import('ioredis')
    const client = new Redis(redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true })
    t.teardown(() => { client.disconnect() })
    await client.connect()
    const keyPrefix = freshPrefix()
    const given = await startApp(t, { url, database, options: { rateLimit: { redis: client, keyPrefix, login: { max: 1, timeWindow: '1m' } } } })
    t.equal((await login(given.base, nextEmail(), WRONG)).status, 401)
    t.equal((await login(given.base, nextEmail(), WRONG)).status, 429)
    t.ok((await client.keys(`${keyPrefix}*`)).length > 0, 'the counters are in the given Redis, under the key prefix')
    await given.close()
    t.equal(await client.ping(), 'PONG', 'still open after the app closed')

    // A Redis of its own, so the only other connection is the app's.
    const own = await startRedisServer()
    t.teardown(() => own.stop())
    const probe = new Redis(own.url, { maxRetriesPerRequest: 1 })
    t.teardown(() => { probe.disconnect() })
    const connections = async (): Promise<number> => String(await probe.client('LIST')).trim().split('\n').length
    const made = await startApp(t, { url, database, options: { rateLimit: { redis: own.url, keyPrefix: freshPrefix() } } })
    t.equal((await login(made.base, nextEmail(), WRONG)).status, 401)
    t.equal(await connections(), 2, 'the app connected (plus this probe)')
    await made.close()
    t.ok(await waitUntil(async () => (await connections()) === 1, 3000, 50) >= 0, 'its connection is closed with the app')
  })

  t.test('gateway: two gateways built from a config with rateLimit.redis share the login limit', async (t) => {
    const keyPrefix = freshPrefix()
    const raw = {
      tokens: { keys: sharedKeys(), issuer: 'authgate-limits', audience: 'upstream' },
      store: { mongodb: { url, database } },
      cookie: { secure: false },
      routes: [],
      rateLimit: { redis: '${REDIS_URL}', keyPrefix, login: { max: 3, timeWindow: '1m' } }
    }
    const config = parseConfig(raw, { file: 'limits.yaml', env: { REDIS_URL: redisUrl } })
    const bases: string[] = []
    for (let i = 0; i < 2; i++) {
      const app = await buildApp(config, { logger: false })
      t.teardown(() => app.close())
      await app.listen({ host: '127.0.0.1', port: 0 })
      bases.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`)
    }
    const statuses: number[] = []
    for (let attempt = 0; attempt < 5; attempt++) statuses.push((await login(bases[attempt % 2] ?? '', nextEmail(), WRONG)).status)
    t.same(statuses, [401, 401, 401, 429, 429], 'three attempts over two gateways, then 429 on both')
  })
}

t.test('gateway config: rateLimit is validated like every key, and false turns the limits off', async (t) => {
  const base = { tokens: { keys: sharedKeys() }, routes: [] }
  const parse = (rateLimit: unknown, env: Record<string, string> = {}): unknown => parseConfig({ ...base, rateLimit }, { file: 'gw.yaml', env })
  const refused: Array<[unknown, RegExp]> = [
    [{ redisUrl: 'redis://127.0.0.1:6379' }, /gw\.yaml: invalid configuration[\s\S]*rateLimit\.redisUrl: unknown key/],
    [{ redis: 'http://127.0.0.1:6379' }, /rateLimit\.redis: must be a redis:\/\/ or rediss:\/\/ URL/],
    [{ redis: '${REDIS_URL}' }, /rateLimit\.redis: environment variable REDIS_URL is not set/],
    [{ login: { max: 0 } }, /rateLimit\.login\.max: must be at least 1/],
    [{ login: { timeWindow: '1m' } }, /rateLimit\.login\.max: is required/],
    [{ accountFailures: { max: 5, timeWindow: 'soon' } }, /rateLimit\.accountFailures\.timeWindow/],
    [{ register: { max: 5, every: '1m' } }, /rateLimit\.register\.every: unknown key/],
    ['off', /rateLimit: must be an object or true or false/]
  ]
  for (const [value, message] of refused) t.throws(() => parse(value), message, `refused: ${JSON.stringify(value)}`)
  t.same(parse(false), parse('${OFF}', { OFF: 'false' }), 'false, also from ${VAR}')
  // Text becomes a number only where a ${VAR} put it (a literal '7' is refused: no coercion since #12).
  const config = parseConfig({ ...base, rateLimit: { redis: '${REDIS_URL}', login: { max: '${LOGIN_MAX}' } } }, { env: { REDIS_URL: 'redis://127.0.0.1:6380', LOGIN_MAX: '7' } })
  t.throws(() => parse({ login: { max: '7' } }), /rateLimit\.login\.max: must be a whole number/, 'a literal text number is refused')
  // The gateway hands the section to the plugin as written, its defaults filled in by the schema (no ms round trip).
  t.match(config.rateLimit, { redis: 'redis://127.0.0.1:6380', login: { max: 7, timeWindow: '1m' }, refresh: { max: 300 } })
  const absent = parseConfig(base).rateLimit
  t.ok(absent !== false && absent.redis === undefined && absent.login?.max === 30, 'absent: per-process, the plugin\'s defaults')
  const app = await buildApp(parse(false) as ReturnType<typeof parseConfig>, { logger: false })
  t.teardown(() => app.close())
  const answers = await Promise.all(Array.from({ length: 40 }, async () => app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'nobody@example.com', password: WRONG } })))
  t.same([...new Set(answers.map((answer) => answer.statusCode))], [401], 'rateLimit: false: 40 failed logins, none limited')
})

const redisUrl = testRedisUrl(t)
if (redisUrl !== undefined) await suite(redisUrl)
