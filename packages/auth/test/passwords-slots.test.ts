// Password hashing is bounded: at most HASH_CONCURRENCY hashes at once (a login storm leaves a core to the event
// loop), at most MAX_HASH_WAITING waiting, and beyond that a 429 at once rather than a growing queue.
import t from 'tap'
import { AuthError } from '../src/errors.js'
import { HASH_CONCURRENCY, MAX_HASH_WAITING, hashQueue, verifyPassword } from '../src/users/passwords.js'

t.test('at most HASH_CONCURRENCY hashes run at once; the rest wait their turn', async (t) => {
  const calls = Array.from({ length: HASH_CONCURRENCY + 4 }, () => verifyPassword('not-a-phc-string', 'password'))
  t.same(hashQueue(), { running: HASH_CONCURRENCY, waiting: 4 })
  t.same(await Promise.all(calls), calls.map(() => false), 'a malformed hash is a mismatch')
  t.same(hashQueue(), { running: 0, waiting: 0 }, 'every slot is given back')
})

t.test('a full queue refuses at once with AUTH_RATE_LIMITED (429, Retry-After) and loses no queued work', async (t) => {
  const total = HASH_CONCURRENCY + MAX_HASH_WAITING + 3
  const results = await Promise.allSettled(Array.from({ length: total }, () => verifyPassword('not-a-phc-string', 'password')))
  const refused = results.filter((result) => result.status === 'rejected')
  t.equal(refused.length, 3, 'exactly the calls beyond the queue are refused')
  for (const result of refused) {
    const error: unknown = result.reason
    t.ok(error instanceof AuthError && error.code === 'AUTH_RATE_LIMITED' && error.statusCode === 429 && error.retryAfter === 1)
  }
  t.equal(results.filter((result) => result.status === 'fulfilled').length, total - 3, 'the queued ones all ran')
  t.same(hashQueue(), { running: 0, waiting: 0 })
})
