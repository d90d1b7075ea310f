// Which lockout keys a login counts under (issue #11, item 5), on the in-memory lockout: the folded email always;
// once a spelling has logged in, the user id too; a login resolving to a locked id is refused whatever its spelling;
// an outage counts nothing.
import t from 'tap'
import { createAccountLockout } from '../src/limits/account-lockout.js'
import { beginLoginAttempt } from '../src/limits/login-lockout.js'
import { lockoutUserKey } from '../src/limits/lockout-key.js'

const rule = { max: 3, timeWindowMs: 900_000 }

t.test('failures of a linked spelling count against the user id; an unlinked alias gets 401 during the lockout, counted', async (t) => {
  const clock = { now: 1_000_000 }
  const lockout = createAccountLockout(rule, () => clock.now)
  await (await beginLoginAttempt(lockout, 'victim@example.com')).succeeded('u7')
  t.equal(await lockout.linkedUser('email:victim@example.com'), 'u7', 'the spelling is linked to the id')
  for (let i = 0; i < 3; i++) await (await beginLoginAttempt(lockout, 'Victim@Example.com')).failed()
  t.equal(await lockout.retryAfter(lockoutUserKey('u7')), 30, 'the id is locked by the failures of its spelling')
  await t.rejects(beginLoginAttempt(lockout, 'VICTIM@example.com'), { code: 'AUTH_RATE_LIMITED', retryAfter: 30 }, 'the spelling itself is refused before any check')
  const alias = await beginLoginAttempt(lockout, 'alias@example.com')
  await t.rejects(alias.succeeded('u7'), { code: 'AUTH_INVALID_CREDENTIALS' }, 'a right password under an alias resolving to u7 is answered as a wrong one')
  t.equal(await lockout.linkedUser('email:alias@example.com'), undefined, 'nor linked while refused')
  for (let i = 0; i < 2; i++) await (await beginLoginAttempt(lockout, 'alias@example.com')).failed()
  t.equal(await lockout.retryAfter('email:alias@example.com'), 30, 'it counted as a failure of the alias (1 + 2 reach max 3)')

  clock.now += 31_000
  await (await beginLoginAttempt(lockout, 'alias@example.com')).succeeded('u7')
  t.equal(await lockout.linkedUser('email:alias@example.com'), 'u7', 'after the lockout the alias logs in and is linked')
  t.equal(await lockout.retryAfter(lockoutUserKey('u7')), 0)
})

t.test('an outage (abort) counts nothing and frees every reservation; no lockout, no limits', async (t) => {
  const lockout = createAccountLockout({ max: 1, timeWindowMs: 900_000 })
  await (await beginLoginAttempt(lockout, 'x@example.com')).succeeded('ux')
  const attempt = await beginLoginAttempt(lockout, 'x@example.com')
  await t.rejects(beginLoginAttempt(lockout, 'x@example.com'), { code: 'AUTH_RATE_LIMITED' }, 'max 1: a parallel attempt waits')
  await attempt.abort()
  const next = await beginLoginAttempt(lockout, 'x@example.com')
  await next.failed()
  t.ok(await lockout.retryAfter(lockoutUserKey('ux')) > 0, 'the failure counted on the id too')
  const open = await beginLoginAttempt(undefined, 'x@example.com')
  await open.failed()
  await open.succeeded('ux')
  await open.abort()
  t.pass('without a lockout every step is a no-op')
})

t.test('a right password under an alias forgives the id without taking a reservation of another attempt', async (t) => {
  const lockout = createAccountLockout({ max: 1, timeWindowMs: 900_000 })
  await (await beginLoginAttempt(lockout, 'owner@example.com')).succeeded('u9')
  const inFlight = await beginLoginAttempt(lockout, 'owner@example.com')
  t.equal(await lockout.reserve(lockoutUserKey('u9')), 1, 'max 1: the id is held by the attempt in flight')
  await (await beginLoginAttempt(lockout, 'other-alias@example.com')).succeeded('u9')
  t.equal(await lockout.reserve(lockoutUserKey('u9')), 1, 'still held: the alias did not end the other attempt\'s reservation')
  await inFlight.failed()
  t.equal(await lockout.retryAfter(lockoutUserKey('u9')), 30, 'and that attempt\'s failure still counts on the id')
})
