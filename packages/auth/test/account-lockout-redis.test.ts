// The Redis lockout (docs/security.md D.53 across replicas) against a real Redis: the semantics of the in-memory one
// (doubling, expiry, forgiveness, attempts in flight), shared between two lockouts as two instances would be, with
// clients of their own; and a Redis that cannot answer makes every operation that could allow an attempt reject 503.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { Redis } from 'ioredis'
import { AuthError } from '../src/errors.js'
import { openSharedRedis, type SharedRedis } from '../src/limits/rate-limit-redis.js'
import { createRedisAccountLockout } from '../src/limits/account-lockout-redis.js'
import { createAccountLockout, type AccountLockout, type LockoutRule } from '../src/limits/account-lockout.js'
import { testRedisUrl } from '@authgate/test-kit/redis'

const quiet = { warn: () => {} }

function suite (url: string): void {
  const opened: SharedRedis[] = []
  t.teardown(async () => { for (const shared of opened) await shared.close() })

  /** Two lockouts (two "instances", each with its own client) on one key namespace, one test clock. */
  async function pair (rule: LockoutRule, clock: { now: number }): Promise<[AccountLockout, AccountLockout, string]> {
    const prefix = `test:${randomBytes(6).toString('hex')}:`
    const make = async (): Promise<AccountLockout> => {
      const shared = await openSharedRedis(url, prefix, quiet)
      opened.push(shared)
      return createRedisAccountLockout(shared, rule, { now: () => clock.now })
    }
    return [await make(), await make(), prefix]
  }

  t.test('doubles, expires, success forgives: the same answers as the in-memory lockout, seen by both', async (t) => {
    const clock = { now: 1_000_000 }
    const [a, b] = await pair({ max: 3, timeWindowMs: 900_000 }, clock)
    t.equal(await a.retryAfter('x@example.com'), 0)
    await a.recordFailure('x@example.com')
    await b.recordFailure('x@example.com')
    t.equal(await b.retryAfter('x@example.com'), 0, 'under the limit')
    await a.recordFailure('x@example.com')
    t.equal(await b.retryAfter('x@example.com'), 30, 'first lockout 30 s, seen by the other instance')
    t.equal(await b.reserve('x@example.com'), 30, 'a login during the lockout waits (whatever its password)')
    t.equal(await a.retryAfter('y@example.com'), 0, 'other accounts unaffected')
    clock.now += 31_000
    t.equal(await a.retryAfter('x@example.com'), 0, 'not permanent')
    for (let i = 0; i < 3; i++) await (i % 2 === 0 ? a : b).recordFailure('x@example.com')
    t.equal(await a.retryAfter('x@example.com'), 60, 'the second lockout doubles')
    clock.now += 61_000
    for (let i = 0; i < 3; i++) await b.recordFailure('x@example.com')
    t.equal(await a.retryAfter('x@example.com'), 120, 'the third doubles again')
    clock.now += 121_000
    await b.recordSuccess('x@example.com')
    for (let i = 0; i < 3; i++) await a.recordFailure('x@example.com')
    t.equal(await b.retryAfter('x@example.com'), 30, 'success forgives: back to 30 s')
  })

  t.test('the lockout is capped at the window, and a quiet stretch of two windows forgives repeats', async (t) => {
    const clock = { now: 5_000_000 }
    const [a] = await pair({ max: 1, timeWindowMs: 60_000 }, clock)
    const lengths: number[] = []
    for (let round = 0; round < 4; round++) {
      await a.recordFailure('cap')
      const wait = await a.retryAfter('cap')
      lengths.push(wait)
      clock.now += wait * 1000 + 1
    }
    t.same(lengths, [30, 60, 60, 60], 'doubling stops at the window (60 s)')
    clock.now += 2 * 60_000 + 1
    await a.recordFailure('cap')
    t.equal(await a.retryAfter('cap'), 30, 'after two quiet windows it starts again at 30 s')
  })

  t.test('attempts in flight count across instances; a release frees only its own reservation', async (t) => {
    const clock = { now: 1_000_000 }
    const [a, b] = await pair({ max: 2, timeWindowMs: 900_000 }, clock)
    t.equal(await a.reserve('p'), 0)
    t.equal(await b.reserve('p'), 0)
    t.ok((await a.reserve('p')) > 0, 'a third parallel attempt waits: two are being verified (one on each instance)')
    t.ok((await b.reserve('p')) > 0, 'on either instance')
    await a.release('p')
    await a.release('p')
    t.equal(await a.reserve('p'), 0, 'A released its one reservation')
    t.ok((await a.reserve('p')) > 0, 'A\'s second release, without a reservation of its own, did not free B\'s')
    await a.release('p')
    await a.recordFailure('p')
    t.ok((await a.reserve('p')) > 0, 'one failure plus B\'s attempt in flight use the budget of 2')
    await b.release('p')
    await b.recordFailure('p')
    t.equal(await a.reserve('p'), 30, 'two failures: locked, on both')
    t.equal(await b.reserve('p'), 30)
  })

  t.test('recordFailure and recordSuccess end the reservation in the same step as they count', async (t) => {
    const clock = { now: 1_000_000 }
    const [a, b] = await pair({ max: 3, timeWindowMs: 900_000 }, clock)
    t.equal(await a.reserve('s'), 0)
    await a.recordFailure('s')
    t.equal(await b.reserve('s'), 0, 'one failure, no attempt in flight: a slot')
    t.equal(await b.reserve('s'), 0, 'and another')
    t.ok((await a.reserve('s')) > 0, '1 failure + 2 in flight = max')
    await b.recordSuccess('s')
    t.equal(await a.reserve('s'), 0, 'a success forgives the failure and ends its own reservation…')
    t.equal(await a.reserve('s'), 0, '(no failures now: B\'s other attempt and two of A\'s in flight)')
    t.ok((await b.reserve('s')) > 0, '…but not B\'s other one: three in flight = max')
  })

  t.test('forgive forgives failures and leaves every reservation alone (this instance\'s and another\'s)', async (t) => {
    const clock = { now: 1_000_000 }
    const [a, b] = await pair({ max: 2, timeWindowMs: 900_000 }, clock)
    await a.recordFailure('f')
    t.equal(await a.reserve('f'), 0, '1 failure + 1 in flight = max')
    await b.forgive('f')
    t.equal(await b.reserve('f'), 0, 'the failure is forgiven: a slot')
    await a.forgive('f')
    t.ok((await b.reserve('f')) > 0, 'both reservations still held: A\'s forgive did not end its own')
  })

  t.test('200 parallel reservations on two instances: never more than max granted', async (t) => {
    const clock = { now: 1_000_000 }
    const [a, b] = await pair({ max: 5, timeWindowMs: 900_000 }, clock)
    const waits = await Promise.all(Array.from({ length: 200 }, async (_, i) => (i % 2 === 0 ? a : b).reserve('race')))
    t.equal(waits.filter((wait) => wait === 0).length, 5, 'exactly max reservations granted')
  })

  t.test('a reservation whose instance died expires with its lease and counts as a failure: never blocked for ever, never a free guess', async (t) => {
    const clock = { now: 1_000_000 }
    const [a, b] = await pair({ max: 1, timeWindowMs: 900_000 }, clock)
    t.equal(await a.reserve('dead'), 0, 'reserved, never released (the instance "dies")')
    t.ok((await b.reserve('dead')) > 0, 'held meanwhile')
    clock.now += 60_001
    t.equal(await b.reserve('dead'), 30, 'after the lease the lost attempt counts: max 1 reached, a 30 s lockout')
    clock.now += 30_001
    t.equal(await b.reserve('dead'), 0, 'then free')
  })

  t.test('keys: namespaced, no email in clear, every key expires', async (t) => {
    const clock = { now: Date.now() }
    const [a, , prefix] = await pair({ max: 3, timeWindowMs: 60_000 }, clock)
    await a.recordFailure('Secret.Person@example.com')
    t.equal(await a.reserve('Secret.Person@example.com'), 0)
    const client = new Redis(url, { maxRetriesPerRequest: 1 })
    t.teardown(() => { client.disconnect() })
    const keys = await client.keys(`${prefix}*`)
    t.equal(keys.length, 2, 'a state hash and a reservation set')
    for (const key of keys) {
      t.notOk(key.toLowerCase().includes('secret'), `no address in ${key}`)
      const ttl = await client.pttl(key)
      t.ok(ttl > 0 && ttl <= 2 * 60_000 + 1000 + 60_000, `${key} expires (${ttl} ms)`)
    }
  })

  t.test('links (a spelling → the user id its login resolved to): the same answers in Redis and in memory, shared, no address in keys', async (t) => {
    const clock = { now: 1_000_000 }
    const [a, b, prefix] = await pair({ max: 3, timeWindowMs: 60_000 }, clock)
    const memory = createAccountLockout({ max: 3, timeWindowMs: 60_000 }, () => clock.now)
    for (const [name, first, second] of [['redis', a, b], ['memory', memory, memory]] as const) {
      t.equal(await second.linkedUser('email:link.person@example.com'), undefined, `${name}: nothing linked yet`)
      await first.link('email:link.person@example.com', 'legacy-42')
      t.equal(await second.linkedUser('email:link.person@example.com'), 'legacy-42', `${name}: the link is seen`)
      await first.link('email:link.person@example.com', 'legacy-43')
      t.equal(await second.linkedUser('email:link.person@example.com'), 'legacy-43', `${name}: a later login's id wins`)
    }
    const client = new Redis(url, { maxRetriesPerRequest: 1 })
    t.teardown(() => { client.disconnect() })
    const keys = await client.keys(`${prefix}lockout-link:*`)
    t.equal(keys.length, 1)
    t.notOk(keys[0]?.includes('person'), 'no address in the key')
    t.ok(await client.pttl(keys[0] ?? '') > 86_400_000, 'kept for weeks, not forever')
  })

  t.test('Redis unreachable: reserve and recordFailure reject 503, within the bound; release and success do not throw', async (t) => {
    // A port nothing listens on (loopback): connection refused at once.
    const shared = await openSharedRedis('redis://127.0.0.1:1', 'test:down:', quiet)
    opened.push(shared)
    const lockout = createRedisAccountLockout(shared, { max: 3, timeWindowMs: 60_000 })
    for (const [name, work] of [['reserve', async () => lockout.reserve('d')], ['recordFailure', async () => lockout.recordFailure('d')], ['retryAfter', async () => lockout.retryAfter('d')]] as const) {
      const started = Date.now()
      const error: unknown = await work().then(() => null, (caught: unknown) => caught)
      t.ok(error instanceof AuthError && error.code === 'AUTH_STORE_UNAVAILABLE' && error.statusCode === 503 && (error.retryAfter ?? 0) > 0, `${name} rejects with 503 + Retry-After`)
      t.ok(Date.now() - started < 2000, `${name} answers within 2 s (${Date.now() - started} ms)`)
    }
    await t.resolves(lockout.release('d'))
    await t.resolves(lockout.recordSuccess('d'))
    await t.rejects(lockout.linkedUser('d'), { code: 'AUTH_STORE_UNAVAILABLE' }, 'an unknown link is not "none"')
    await t.resolves(lockout.link('d', 'u'))
  })
}

const url = testRedisUrl(t)
if (url !== undefined) suite(url)
