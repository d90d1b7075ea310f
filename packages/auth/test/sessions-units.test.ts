// Unit tests of the session building blocks: token format and hashing, successor sealing, reuse classification,
// the account lockout, events.
import type { FastifyRequest } from 'fastify'
import t from 'tap'
import { clientInfo } from '../src/sessions/client-info.js'
import { createEvents } from '../src/events.js'
import { createAccountLockout } from '../src/limits/account-lockout.js'
import { generateRefreshToken, hashRefreshToken, isRefreshTokenFormat } from '../src/sessions/refresh-token.js'
import { classifyReuse } from '../src/sessions/reuse.js'
import { openSuccessor, sealSuccessor } from '../src/sessions/successor.js'
import type { SessionRecord } from '../src/stores/store.js'
import { hashPassword, verifyPassword } from '../src/users/passwords.js'

t.test('refresh tokens: 256 bits, base64url, hashed to SHA-256 hex', async (t) => {
  const tokens = new Set(Array.from({ length: 100 }, generateRefreshToken))
  t.equal(tokens.size, 100)
  for (const token of tokens) t.ok(isRefreshTokenFormat(token))
  const [token] = [...tokens]
  t.match(hashRefreshToken(token!), /^[0-9a-f]{64}$/)
  for (const bad of ['', 'A'.repeat(42), 'A'.repeat(44), 'A'.repeat(42) + '=', { $ne: '' }, null, 42]) t.notOk(isRefreshTokenFormat(bad))
})

t.test('successor sealing: only the retired token opens it', async (t) => {
  const retired = generateRefreshToken()
  const successor = generateRefreshToken()
  const binding = hashRefreshToken(retired)
  const sealed = sealSuccessor(retired, binding, successor)
  t.notOk(sealed.includes(successor))
  t.equal(openSuccessor(retired, binding, sealed), successor)
  t.equal(openSuccessor(generateRefreshToken(), binding, sealed), undefined, 'another token cannot open it')
  t.equal(openSuccessor(retired, hashRefreshToken(successor), sealed), undefined, 'bound to its entry')
  const parts = sealed.split('.')
  parts[2] = Buffer.from('tampered').toString('base64url')
  t.equal(openSuccessor(retired, binding, parts.join('.')), undefined, 'tampering is detected')
  t.equal(openSuccessor(retired, binding, 'garbage'), undefined)
  t.equal(openSuccessor(retired, binding, `${sealed}.extra`), undefined)
})

t.test('reuse classification', async (t) => {
  const now = new Date()
  const session = {
    ip: '1.1.1.1', userAgent: 'ua', lastUsedAt: now, grace: { hash: 'h1', retiredAt: new Date(now.getTime() - 20_000), sealed: '' }
  } as unknown as SessionRecord
  t.match(classifyReuse(session, 'h1', { ip: '1.1.1.1', userAgent: 'ua' }, now, 10_000), { classification: 'race', ipChanged: false, userAgentChanged: false, sinceRotationMs: 20_000 })
  t.match(classifyReuse(session, 'h1', { ip: '2.2.2.2', userAgent: 'ua' }, now, 10_000), { classification: 'theft', ipChanged: true })
  t.match(classifyReuse(session, 'h1', { ip: '1.1.1.1', userAgent: 'other' }, now, 10_000), { classification: 'theft', userAgentChanged: true })
  t.match(classifyReuse(session, 'h0', { ip: '1.1.1.1', userAgent: 'ua' }, now, 10_000), { classification: 'stale' }, 'an older token')
  const later = new Date(now.getTime() + 3_600_000)
  t.match(classifyReuse(session, 'h1', { ip: '1.1.1.1', userAgent: 'ua' }, later, 10_000), { classification: 'stale' })
})

t.test('account lockout: doubles, expires, success resets', async (t) => {
  let clock = 1_000_000
  const lockout = createAccountLockout({ max: 3, timeWindowMs: 900_000 }, () => clock)
  t.equal(await lockout.retryAfter('a'), 0)
  await lockout.recordFailure('a')
  await lockout.recordFailure('a')
  t.equal(await lockout.retryAfter('a'), 0, 'under the limit')
  await lockout.recordFailure('a')
  t.equal(await lockout.retryAfter('a'), 30, 'first lockout 30 s')
  t.equal(await lockout.retryAfter('b'), 0, 'other accounts unaffected')
  clock += 31_000
  t.equal(await lockout.retryAfter('a'), 0, 'not permanent')
  for (let i = 0; i < 3; i++) await lockout.recordFailure('a')
  t.equal(await lockout.retryAfter('a'), 60, 'the second lockout doubles')
  clock += 61_000
  await lockout.recordSuccess('a')
  for (let i = 0; i < 3; i++) await lockout.recordFailure('a')
  t.equal(await lockout.retryAfter('a'), 30, 'success forgives')
})

t.test('account lockout: attempts in flight count; a full table never evicts a locked account', async (t) => {
  const clock = 1_000_000
  const lockout = createAccountLockout({ max: 2, timeWindowMs: 900_000 }, () => clock)
  t.equal(await lockout.reserve('a'), 0)
  t.equal(await lockout.reserve('a'), 0)
  t.ok((await lockout.reserve('a')) > 0, 'a third parallel attempt waits: two are already being verified')
  await lockout.release('a')
  await lockout.recordFailure('a')
  await lockout.release('a')
  await lockout.recordFailure('a')
  t.equal(await lockout.reserve('a'), 30, 'locked')

  const table = createAccountLockout({ max: 2, timeWindowMs: 900_000 }, () => clock)
  await table.recordFailure('victim')
  await table.recordFailure('victim')
  t.equal(await table.retryAfter('victim'), 30)
  await table.recordFailure('partial')
  let refused = 0
  for (let i = 0; i < 100_001; i++) await table.recordFailure(`filler${i}`).catch(() => { refused++ })
  t.equal(await table.retryAfter('victim'), 30, 'still locked after the table overflowed')
  await table.recordFailure('partial')
  t.equal(await table.retryAfter('partial'), 30, 'a partly locked account was not forgotten: its second failure locks it')
  t.ok(refused > 0, 'failures beyond the bound are refused, not counted by forgetting others')
})

t.test('account lockout: a full table sheds only spent entries and refuses new counting (503), never forgets a partial count', async (t) => {
  const clock = { now: 1_000_000 }
  const window = 900_000
  const table = createAccountLockout({ max: 5, timeWindowMs: window }, () => clock.now, 50)
  for (let i = 0; i < 4; i++) {
    t.equal(await table.reserve('victim'), 0)
    await table.recordFailure('victim')
  }
  clock.now += 1000
  // Other accounts' failures fill every other slot; the next new account is refused, the victim is not forgotten.
  for (let i = 0; i < 49; i++) await table.recordFailure(`filler${i}`)
  const error = await table.reserve('newcomer').then(() => undefined, (caught: unknown) => caught)
  t.match(error, { code: 'AUTH_STORE_UNAVAILABLE', statusCode: 503, retryAfter: 60 }, 'a new account is refused with 503 + Retry-After')
  await t.rejects(table.recordFailure('newcomer2'), { code: 'AUTH_STORE_UNAVAILABLE' }, 'and a failure is never dropped silently')
  t.equal(await table.reserve('victim'), 0, 'the victim still has its fifth attempt')
  await table.recordFailure('victim')
  t.equal(await table.retryAfter('victim'), 30, 'and the fifth failure locks it: four were remembered')

  // Once the fillers' window has passed (and the victim is still locked by a repeat), their slots are shed.
  clock.now += window + 1000
  for (let i = 0; i < 4; i++) { await table.reserve('victim'); await table.recordFailure('victim') }
  clock.now += 1000
  t.equal(await table.reserve('newcomer'), 0, 'spent entries are shed to make room')
  await table.recordFailure('victim')
  t.ok(await table.retryAfter('victim') > 0, 'the victim, counting through all of it, is locked again')
})

t.test('events: hooks and listeners, failures contained', async (t) => {
  const warnings: unknown[] = []
  const got: string[] = []
  const events = createEvents({ login: (event) => { got.push(`hook:${event.userId}`) } }, { warn: (object) => { warnings.push(object) } })
  const listener = (): void => { throw new Error('boom') }
  events.on('login', listener)
  events.on('login', async (event) => { got.push(`listener:${event.userId}`) })
  events.emit('login', { userId: 'u1', sessionId: 's', deviceId: 'd', ip: 'i', userAgent: 'a', at: new Date() })
  await new Promise((resolve) => setImmediate(resolve))
  t.same(got, ['hook:u1', 'listener:u1'])
  t.equal(warnings.length, 1)
  events.off('login', listener)
  events.emit('login', { userId: 'u2', sessionId: 's', deviceId: 'd', ip: 'i', userAgent: 'a', at: new Date() })
  t.equal(warnings.length, 1)

  // A listener answering a non-native thenable that rejects: reported like a rejected promise.
  const thenable = { then: (_resolve: unknown, reject: (error: Error) => void) => { reject(new Error('thenable')) } }
  events.on('logout', (() => thenable) as unknown as () => void)
  events.emit('logout', { userId: 'u3', sessionId: 's', ip: 'i', userAgent: 'a', at: new Date() } as never)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(warnings.length, 2, 'the thenable rejection is reported')
})

t.test('client info: a closed socket (request.ip undefined) records an empty ip', async (t) => {
  const request = { ip: undefined, headers: { 'user-agent': 'ua' } } as unknown as FastifyRequest
  t.same(clientInfo(request), { ip: '', userAgent: 'ua' })
})

t.test('passwords: argon2id with the OWASP parameters', async (t) => {
  const hash = await hashPassword('a password')
  t.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  t.equal(await verifyPassword(hash, 'a password'), true)
  t.equal(await verifyPassword(hash, 'another'), false)
  t.equal(await verifyPassword('not a hash', 'a password'), false, 'a malformed hash is a mismatch')
})

t.test('addUser validates, normalises and hashes', async (t) => {
  const { MemorySessionStore } = await import('../src/stores/memory.js')
  const { addUser } = await import('../src/users/add-user.js')
  const store = new MemorySessionStore()
  const user = await addUser(store, { email: ' Admin@Example.com ', password: 'long enough', roles: ['admin'] })
  t.match(user, { email: 'Admin@Example.com', emailNormalized: 'admin@example.com', roles: ['admin'], passwordHash: /^\$argon2id\$/ })
  t.equal(await verifyPassword(user.passwordHash!, 'long enough'), true)
  await t.rejects(addUser(store, { email: 'admin@example.com', password: 'long enough' }), { code: 'AUTH_EMAIL_TAKEN' })
  await t.rejects(addUser(store, { email: 'nope', password: 'long enough' }), { code: 'AUTH_BAD_REQUEST' })
  await t.rejects(addUser(store, { email: 'a@b.c', password: 'short' }), { code: 'AUTH_BAD_REQUEST' })
})
