// The signing-key ring without a database: the key-encryption key, the states and transitions (rotate, retire),
// concurrent rotations on one store, and the polling token service (swap, last good ring, window, 503 at boot).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { inspect } from 'node:util'
import Fastify from 'fastify'
import authgate, { MemorySessionStore } from '../src/index.js'
import { createAccessTokenService } from '../src/tokens/index.js'
import { createKeyRingTokens, generateKey, keyRingJwksMaxAge, keyRingMinNextAgeMs, keyRingWindowMs, parseKeyEncryptionKey, planRetire, planRotation, retireKeys, rotateKeyRing, type KeyRingTokens } from '../src/keys/index.js'
import { MemoryKeyRingStore, type KeyRingRecord, type KeyRingStore } from '../src/keys/key-ring-store.js'
import { buildAccessTokenService } from '../src/tokens/service.js'
import type { VerifierCache } from '../src/tokens/verify.js'

const KEK_TEXT = randomBytes(32).toString('base64')
const kek = parseKeyEncryptionKey(KEK_TEXT, 'kek')
const TOKENS = { algorithm: 'EdDSA' as const, issuer: 'ring-test', audience: 'ring', accessTtl: 60, clockTolerance: 5 }
const REFRESH_MS = 100
const WINDOW_MS = keyRingWindowMs(TOKENS, REFRESH_MS)
const LONG_AGO = 3_600_000

function kidOf (token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid
}

const states = (ring: KeyRingRecord | null): string[] => (ring?.keys ?? []).map((key) => key.state)

t.test('key-encryption key: hex or base64 of ≥ 32 bytes, never shown', async (t) => {
  t.ok(parseKeyEncryptionKey(randomBytes(32).toString('hex'), 'k'), 'hex')
  t.ok(parseKeyEncryptionKey(randomBytes(48).toString('base64url'), 'k'), 'base64url')
  t.ok(parseKeyEncryptionKey(randomBytes(32), 'k'), 'a Buffer')
  t.throws(() => parseKeyEncryptionKey(undefined, 'tokens.keyEncryptionKey'), /tokens\.keyEncryptionKey is required/, 'absent')
  t.throws(() => parseKeyEncryptionKey(randomBytes(31).toString('base64'), 'kek'), /at least 32 bytes \(got 31\)/, '31 bytes')
  t.throws(() => parseKeyEncryptionKey('0'.repeat(64), 'kek'), /not one repeated byte/, 'zeros')
  t.throws(() => parseKeyEncryptionKey('not a key!', 'kek'), /hex or base64/, 'not hex nor base64')
  const secret = randomBytes(32).toString('hex')
  const parsed = parseKeyEncryptionKey(secret, 'kek')
  for (const shown of [JSON.stringify({ parsed }), inspect(parsed), String(parsed)]) {
    t.notOk(shown.includes(secret), 'never serialised')
    t.match(shown, /redacted/)
  }
  let message = ''
  try {
    parseKeyEncryptionKey(secret.slice(0, 40), 'kek')
  } catch (error) {
    message = (error as Error).message
  }
  t.match(message, /at least 32 bytes/)
  t.notOk(message.includes(secret.slice(0, 40)), 'the error does not quote the value')

  const sealed = kek.seal(Buffer.from('private material'), 'label-a')
  t.equal(kek.open(sealed, 'label-a').toString(), 'private material', 'round trip')
  t.notOk(JSON.stringify(sealed).includes('private material'), 'ciphertext only')
  t.throws(() => kek.open(sealed, 'label-b'), /cannot decrypt/, 'bound to its label (kid, alg)')
  t.throws(() => parseKeyEncryptionKey(randomBytes(32), 'k').open(sealed, 'label-a'), /cannot decrypt/, 'another KEK cannot open it')
  t.throws(() => kek.open({ ...sealed, data: Buffer.from('x').toString('base64url') + sealed.data.slice(2) }, 'label-a'), /cannot decrypt/, 'altered ciphertext')
})

t.test('rotation: empty ring → current + next; then next → current → retired, with a new next', async (t) => {
  const now = new Date()
  const first = planRotation(null, { algorithm: 'EdDSA', kek, now, minNextAgeMs: 1000 })
  t.equal(first.action, 'created')
  t.same(states(first.record), ['current', 'next'])
  t.equal(first.record.generation, 1)
  for (const key of first.record.keys) {
    t.notOk(JSON.stringify(key).includes('PRIVATE KEY'), `${key.state}: no private key in clear`)
    t.ok(key.sealed !== null && key.publicKey?.includes('PUBLIC KEY'), `${key.state}: sealed private part, public key in clear`)
  }

  t.throws(() => planRotation(first.record, { algorithm: 'EdDSA', kek, now: new Date(now.getTime() + 500), minNextAgeMs: 1000 }),
    { name: 'KeyRingError', code: 'AUTHGATE_KEY_RING_NEXT_TOO_YOUNG', message: /--force/ },
    'a next key younger than the minimum age is not promoted')
  const forced = planRotation(first.record, { algorithm: 'EdDSA', kek, now: new Date(now.getTime() + 500), minNextAgeMs: 1000, force: true })
  t.equal(forced.action, 'rotated', '--force promotes it')

  const later = new Date(now.getTime() + 1000)
  const second = planRotation(first.record, { algorithm: 'EdDSA', kek, now: later, minNextAgeMs: 1000 })
  t.equal(second.record.generation, 2)
  t.same(states(second.record), ['retired', 'current', 'next'])
  t.equal(second.current, first.next, 'the next key became current')
  t.equal(second.retired, first.current, 'the current key retired')
  const retired = second.record.keys[0]
  t.equal(retired?.sealed, null, 'a retired asymmetric key keeps no private part')
  t.same(retired?.retiredAt, later)
  t.same(second.record.keys[1]?.activatedAt, later)

  const hmac = planRotation(null, { algorithm: 'HS256', kek, now, minNextAgeMs: 0 })
  const hmacRotated = planRotation(hmac.record, { algorithm: 'HS256', kek, now, minNextAgeMs: 0 })
  t.not(hmacRotated.record.keys[0]?.sealed, null, 'a retired HMAC key keeps its secret: it is what verifies')
  t.equal(hmacRotated.record.keys[0]?.publicKey, null)
})

t.test('retire: the window, --kid, never the current key; a ring without next gets one on rotate', async (t) => {
  const created = planRotation(null, { algorithm: 'EdDSA', kek, now: new Date(0), minNextAgeMs: 0 })
  const rotated = planRotation(created.record, { algorithm: 'EdDSA', kek, now: new Date(LONG_AGO), minNextAgeMs: 0 })
  const retiredKid = rotated.retired as string
  t.same(planRetire(rotated.record, { now: new Date(LONG_AGO + WINDOW_MS - 1), windowMs: WINDOW_MS }), { record: undefined, dropped: [] }, 'still in its window')
  const dropped = planRetire(rotated.record, { now: new Date(LONG_AGO + WINDOW_MS), windowMs: WINDOW_MS })
  t.same(dropped.dropped, [retiredKid], 'past its window')
  t.same(states(dropped.record ?? null), ['current', 'next'])
  t.throws(() => planRetire(rotated.record, { now: new Date(), windowMs: WINDOW_MS, kid: rotated.current }), /current signing key/, 'never the current key')
  t.throws(() => planRetire(rotated.record, { now: new Date(), windowMs: WINDOW_MS, kid: 'nope' }), /no key nope/)
  const early = planRetire(rotated.record, { now: new Date(LONG_AGO + 1), windowMs: WINDOW_MS, kid: rotated.next })
  t.same(early.dropped, [rotated.next], 'a (compromised) next key is dropped at once')
  const again = planRotation(early.record ?? null, { algorithm: 'EdDSA', kek, now: new Date(LONG_AGO + 2), minNextAgeMs: 1000 })
  t.equal(again.action, 'next-created', 'rotate then only publishes a new next')
  t.equal(again.current, rotated.current, 'the current key stays')
  t.same(states(again.record), ['retired', 'current', 'next'])
})

t.test('a new key is dated after it is generated, just before the write (its age decides when it may sign)', async (t) => {
  // Generating a key can take seconds (RSA): a key dated before that would look older than it is, and be promoted
  // before every instance has seen it. Sealing follows generation; here it takes at least 2 ms, so a stamp taken
  // before generating is visibly earlier than the end of the last seal.
  let lastSealedAt = 0
  const slowKek = {
    seal: (plaintext: Buffer, label: string) => {
      const sealed = kek.seal(plaintext, label)
      const until = Date.now() + 2
      while (Date.now() < until) { /* generation that takes time */ }
      lastSealedAt = Date.now()
      return sealed
    },
    open: (sealed: Parameters<typeof kek.open>[0], label: string) => kek.open(sealed, label)
  } as unknown as typeof kek
  const memory = new MemoryKeyRingStore()
  let insertedAt = 0
  const store: KeyRingStore = { ...flakyStore(memory), insertKeyRing: async (record) => { insertedAt = Date.now(); return memory.insertKeyRing(record) } }
  for (const round of ['created', 'rotated', 'next-created']) {
    if (round === 'next-created') {
      const ring = await memory.readKeyRing()
      await retireKeys(memory, { windowMs: WINDOW_MS, kid: ring?.keys.find((key) => key.state === 'next')?.kid })
    }
    const plan = await rotateKeyRing(store, { algorithm: 'EdDSA', kek: slowKek, minNextAgeMs: 0 })
    t.equal(plan.action, round)
    const next = plan.record.keys.find((key) => key.kid === plan.next)
    t.ok((next?.createdAt.getTime() ?? 0) >= lastSealedAt, `${round}: the new next key is dated after its generation`)
    t.ok((next?.createdAt.getTime() ?? Infinity) <= insertedAt, `${round}: and before the write`)
    t.equal(plan.record.createdAt, next?.createdAt, `${round}: the generation carries the same date`)
  }
})

t.test('concurrent rotations on one store: one wins, the other reports a conflict; always exactly one current', async (t) => {
  const store = new MemoryKeyRingStore()
  await rotateKeyRing(store, { algorithm: 'EdDSA', kek, minNextAgeMs: 0, now: new Date(Date.now() - LONG_AGO) })
  for (let round = 0; round < 5; round++) {
    const results = await Promise.allSettled([
      rotateKeyRing(store, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 }),
      rotateKeyRing(store, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 })
    ])
    t.equal(results.filter((result) => result.status === 'fulfilled').length, 1, `round ${round}: one rotation applied`)
    const rejected = results.find((result) => result.status === 'rejected')
    t.match(rejected?.reason, { code: 'AUTHGATE_KEY_RING_CONFLICT' }, 'the other one wrote nothing')
    const ring = await store.readKeyRing()
    t.equal(ring?.keys.filter((key) => key.state === 'current').length, 1, 'exactly one current')
    t.equal(ring?.keys.filter((key) => key.state === 'next').length, 1, 'exactly one next')
  }
  const result = await retireKeys(store, { windowMs: WINDOW_MS })
  t.same(result.dropped, [], 'retired keys within their window stay')
})

/** A store whose reads can be made to fail (a database outage). */
function flakyStore (inner: KeyRingStore): KeyRingStore & { down: boolean } {
  const store = {
    down: false,
    readKeyRing: async () => {
      if (store.down) throw new Error('database down')
      return inner.readKeyRing()
    },
    insertKeyRing: (record: KeyRingRecord) => inner.insertKeyRing(record),
    pruneKeyRing: (generation: number) => inner.pruneKeyRing(generation)
  }
  return store
}

t.test('token service: 503 before any ring, follows rotations, keeps retired keys for their window, survives outages', async (t) => {
  const memory = new MemoryKeyRingStore()
  const store = flakyStore(memory)
  let clock = Date.now()
  const ring: KeyRingTokens = createKeyRingTokens({ tokens: TOKENS, store, kek, refreshMs: REFRESH_MS, now: () => clock, monotonicNow: () => clock })
  t.teardown(() => { ring.stop() })
  const claims = { sub: 'u1', sid: 's1', roles: [] }

  const before = ring.tokens.verify('a.b.c')
  t.match(before, { ok: false, error: { code: 'AUTH_KEYS_UNAVAILABLE', statusCode: 503 } }, 'no ring read yet: 503, not 401')
  t.throws(() => ring.tokens.sign(claims), { code: 'AUTH_KEYS_UNAVAILABLE' })
  await ring.refresh()
  t.match(ring.tokens.verify('a.b.c'), { ok: false, error: { code: 'AUTH_KEYS_UNAVAILABLE' } }, 'an empty ring: still 503')

  const created = await rotateKeyRing(store, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 })
  const facade = ring.tokens
  await ring.refresh()
  t.equal(ring.tokens, facade, 'callers keep one reference')
  const first = ring.tokens.sign(claims).token
  t.equal(kidOf(first), created.current, 'signs with the current key, never the next one')
  t.same(ring.tokens.jwks().keys.map((key) => key.kid).sort(), [created.current, created.next].sort(), 'the JWKS publishes current and next')
  const nextSigner = createAccessTokenService({ ...TOKENS, keys: [openNext(await memory.readKeyRing())] })
  t.ok(ring.tokens.verify(nextSigner.sign(claims).token).ok, 'a token of the next key already verifies')

  const rotated = await rotateKeyRing(store, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 })
  await ring.refresh()
  const second = ring.tokens.sign(claims).token
  t.equal(kidOf(second), created.next, 'after the rotation: signs with the former next key')
  t.ok(ring.tokens.verify(first).ok, 'a token of the retired key still verifies')
  t.same(ring.tokens.jwks().keys.map((key) => key.kid).sort(), [created.current, rotated.current, rotated.next].sort(), 'retired, current and next published')

  store.down = true
  await ring.refresh()
  t.ok(ring.tokens.verify(second).ok, 'a failed poll keeps the last good ring')
  t.ok(ring.tokens.verify(first).ok)
  t.ok(ring.tokens.sign(claims).token, 'and signs while the last good read is recent')
  // An instance that cannot read the ring cannot see a rotation: it must stop signing before the other instances
  // drop the key it signs with (their window allows three refresh intervals without a read).
  const readAt = clock
  clock = readAt + 3 * REFRESH_MS + 1
  await ring.refresh()
  t.throws(() => ring.tokens.sign(claims), { code: 'AUTH_KEYS_UNAVAILABLE' }, 'no good read for three intervals: signing stops (503)')
  t.ok(ring.tokens.verify(second).ok, 'verification goes on')
  t.ok(ring.tokens.signAssertion((ring.tokens.verify(second) as { claims: Parameters<KeyRingTokens['tokens']['signAssertion']>[0] }).claims, '/api'), 'gateway assertions go on (Bearer traffic survives an outage)')
  store.down = false
  await ring.refresh()
  t.ok(ring.tokens.sign(claims).token, 'signing resumes with the next good read')
  clock = readAt

  clock = Date.now() + WINDOW_MS + 1000
  await ring.refresh()
  // The window outlasts every token of the key, so by then the token's own exp has passed too (the verifier reads
  // Date.now, the ring its injected clock: move both): 401 AUTH_TOKEN_EXPIRED, which sends a client to refresh.
  const realNow = Date.now
  Date.now = () => clock
  try {
    t.match(ring.tokens.verify(first), { ok: false, error: { statusCode: 401, code: 'AUTH_TOKEN_EXPIRED' } }, 'after its window the retired key no longer verifies')
  } finally {
    Date.now = realNow
  }
  t.notOk(ring.tokens.jwks().keys.some((key) => key.kid === created.current), 'and leaves the JWKS')
  t.ok(ring.tokens.verify(second).ok, 'the current key still verifies')

  const rolledBack = new MemoryKeyRingStore()
  await rolledBack.insertKeyRing({ ...(await memory.readKeyRing()) as KeyRingRecord, generation: 1 })
  const swapping = { current: memory as KeyRingStore }
  const switchable = createKeyRingTokens({ tokens: TOKENS, store: { readKeyRing: () => swapping.current.readKeyRing(), insertKeyRing: async () => false, pruneKeyRing: async () => {} }, kek, refreshMs: REFRESH_MS })
  await switchable.refresh()
  const inUse = switchable.generation
  swapping.current = rolledBack
  await switchable.refresh()
  t.equal(switchable.generation, inUse, 'an older generation (a restored backup) is not adopted')
  t.ok(switchable.tokens.verify(second).ok, 'the ring in use stays')
  swapping.current = new MemoryKeyRingStore()
  await switchable.refresh()
  t.equal(switchable.generation, inUse, 'nor a vanished ring')
  t.ok(switchable.tokens.verify(second).ok)

  const wrongKek = createKeyRingTokens({ tokens: TOKENS, store, kek: parseKeyEncryptionKey(randomBytes(32), 'k'), refreshMs: REFRESH_MS })
  await wrongKek.refresh()
  t.match(wrongKek.tokens.verify(second), { ok: false, error: { code: 'AUTH_KEYS_UNAVAILABLE' } }, 'a KEK that does not decrypt: 503')
})

t.test('a next key waits long enough for every instance and JWKS cache, also below one second', async (t) => {
  // An instance's reads start one interval plus the read's own time apart: a ring is known complete for
  // keyRingMinNextAgeMs after a read starts, so that bound must exceed one interval, or an unknown kid would flip to
  // 503 between two healthy polls. The JWKS caches need the interval plus one max-age.
  for (const refreshMs of [50, 100, 999, 1000, 1500, 10_000, 300_000]) {
    const age = keyRingMinNextAgeMs(refreshMs)
    // Fails for the former bound (one interval + the max-age) below one second, where the max-age is 0.
    t.ok(age > refreshMs, `${refreshMs} ms: ${age} ms is more than one interval (room for the read itself)`)
    t.ok(age >= refreshMs + keyRingJwksMaxAge(refreshMs) * 1000, `${refreshMs} ms: ≥ one interval + the JWKS max-age`)
  }
})

t.test('unknown kids: 401 while the ring is known complete (a dropped key, a stranger), 503 once its reads stop; the sibling window', async (t) => {
  const memory = new MemoryKeyRingStore()
  const store = flakyStore(memory)
  const claims = { sub: 'u1', sid: 's1', roles: [] }
  // Instance X on an injected clock (it polls only when told); its sibling Y on the real one.
  let clock = Date.now()
  const x = createKeyRingTokens({ tokens: TOKENS, store, kek, refreshMs: REFRESH_MS, now: () => clock, monotonicNow: () => clock })
  const y = createKeyRingTokens({ tokens: TOKENS, store: memory, kek, refreshMs: REFRESH_MS })
  const created = await rotateKeyRing(memory, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 })
  await x.refresh()
  await y.refresh()
  const before = x.tokens.sign(claims).token
  t.equal(kidOf(before), created.current)
  const stranger = createAccessTokenService({ ...TOKENS, keys: [generateKey('EdDSA')] }).sign(claims).token
  t.match(x.tokens.verify(stranger), { ok: false, error: { statusCode: 401, code: 'AUTH_TOKEN_INVALID' } }, 'a kid never ours, ring complete: 401')

  // The sibling window: Y reads a rotation the CLI allows (the next key is old enough) and signs with the promoted key
  // before X polls again. X knew that key as `next`, so its token verifies there: no 401 for a key X has not seen.
  const minNextAgeMs = keyRingMinNextAgeMs(REFRESH_MS)
  await rotateKeyRing(memory, { algorithm: 'EdDSA', kek, minNextAgeMs, now: new Date(Date.now() + minNextAgeMs) })
  await y.refresh()
  const bySibling = y.tokens.sign(claims).token
  t.equal(kidOf(bySibling), created.next, 'the sibling signs with the promoted key')
  t.ok(x.tokens.verify(bySibling).ok, 'an instance that has not polled since verifies it (it was published as next)')

  // The drill: the former current key is compromised and dropped at once.
  const dropped = await retireKeys(memory, { windowMs: WINDOW_MS, kid: created.current })
  t.same(dropped.dropped, [created.current])
  await x.refresh()
  t.match(x.tokens.verify(before), { ok: false, error: { statusCode: 401, code: 'AUTH_TOKEN_INVALID' } },
    'a token of the dropped key: 401, so the client refreshes (not a 503 until it expires)')
  t.ok(x.tokens.verify(bySibling).ok, 'the current key verifies')

  // Reads stop: a rotation could now happen unseen, so a kid the ring lacks may be a key that signs.
  store.down = true
  const lastGoodRead = clock
  clock = lastGoodRead + minNextAgeMs - 1
  await x.refresh()
  t.match(x.tokens.verify(before), { ok: false, error: { code: 'AUTH_TOKEN_INVALID' } }, 'a failed read within the bound: still complete, 401')
  clock = lastGoodRead + minNextAgeMs
  t.match(x.tokens.verify(before), { ok: false, error: { statusCode: 503, code: 'AUTH_KEYS_UNAVAILABLE', retryAfter: 5 } },
    'no good read for the time a next key waits before it signs: an unknown kid is an outage (503)')
  t.match(x.tokens.verify(stranger), { ok: false, error: { code: 'AUTH_KEYS_UNAVAILABLE' } }, 'whatever the kid')
  t.ok(x.tokens.verify(bySibling).ok, 'known keys verify meanwhile')
  store.down = false
  await x.refresh()
  t.match(x.tokens.verify(before), { ok: false, error: { code: 'AUTH_TOKEN_INVALID' } }, 'a good read again: 401')
  // A read that was slow: what it saw is the ring as of its start, so the bound counts from there.
  const slow = { ...store, readKeyRing: async () => { const ring = await memory.readKeyRing(); clock += minNextAgeMs; return ring } }
  const z = createKeyRingTokens({ tokens: TOKENS, store: slow, kek, refreshMs: REFRESH_MS, now: () => clock, monotonicNow: () => clock })
  await z.refresh()
  t.match(z.tokens.verify(stranger), { ok: false, error: { code: 'AUTH_KEYS_UNAVAILABLE' } }, 'a read that took the whole bound does not make the ring complete')
})

t.test('time since the last good read is monotonic: a wall-clock step neither widens nor shrinks it', async (t) => {
  const memory = new MemoryKeyRingStore()
  const store = flakyStore(memory)
  await rotateKeyRing(memory, { algorithm: 'EdDSA', kek, minNextAgeMs: 0 })
  const claims = { sub: 'u1', sid: 's1', roles: [] }
  const stranger = createAccessTokenService({ ...TOKENS, keys: [generateKey('EdDSA')] }).sign(claims).token
  let wall = Date.now()
  let monotonic = 1_000
  const ring = createKeyRingTokens({ tokens: TOKENS, store, kek, refreshMs: REFRESH_MS, now: () => wall, monotonicNow: () => monotonic })
  await ring.refresh()
  store.down = true
  // The wall clock jumps ahead (NTP, an operator): the last good read is still recent.
  wall += 3_600_000
  t.match(ring.tokens.verify(stranger), { ok: false, error: { code: 'AUTH_TOKEN_INVALID' } }, 'a wall-clock step ahead: still complete, 401')
  t.ok(ring.tokens.sign(claims).token, 'and still signs')
  // Reads stop for longer than the bound while the wall clock steps back by an hour: the ring is not complete.
  monotonic += 3 * REFRESH_MS + 1
  wall -= 2 * 3_600_000
  t.match(ring.tokens.verify(stranger), { ok: false, error: { statusCode: 503, code: 'AUTH_KEYS_UNAVAILABLE' } }, 'a wall-clock step back does not widen the window: 503')
  t.throws(() => ring.tokens.sign(claims), { code: 'AUTH_KEYS_UNAVAILABLE' }, 'nor the time before signing stops')
})

function openNext (ring: KeyRingRecord | null): ReturnType<typeof generateKey> {
  const next = ring?.keys.find((key) => key.state === 'next')
  if (next?.sealed == null) throw new Error('no next key')
  return { kid: next.kid, algorithm: next.alg, privateKey: kek.open(next.sealed, `authgate-key-ring:v1:${next.alg}:${next.kid}`).toString() }
}

t.test('verifiers of unchanged kids survive a rebuild', async (t) => {
  const cache: VerifierCache = new Map()
  const a = generateKey('EdDSA')
  const b = generateKey('EdDSA')
  buildAccessTokenService({ ...TOKENS, keys: [a] }, { verifiers: cache })
  const before = cache.get(a.kid)?.verify
  buildAccessTokenService({ ...TOKENS, keys: [a, b], signingKid: a.kid }, { verifiers: cache })
  t.equal(cache.get(a.kid)?.verify, before, 'same fast-jwt verifier (and cache) for the unchanged key')
  buildAccessTokenService({ ...TOKENS, keys: [b] }, { verifiers: cache })
  t.same([...cache.keys()], [b.kid], 'a dropped key is forgotten')
})

t.test('plugin: tokens.keyRing on the in-memory store; options are checked; JWKS Cache-Control', async (t) => {
  const base = { issuer: 'ring-test', audience: 'ring' }
  const build = async (tokens: Record<string, unknown>): Promise<Error | undefined> => {
    const app = Fastify({ logger: false })
    try {
      await app.register(authgate, { tokens, store: new MemorySessionStore(), rateLimit: false })
      await app.ready()
      return undefined
    } catch (error) {
      return error as Error
    } finally {
      await app.close()
    }
  }
  t.match(await build({ ...base, keyRing: { store: 'database' } }), /tokens\.keyRing\.keyEncryptionKey: is required/, 'no KEK: refuses to start')
  t.match(await build({ ...base, keyRing: { store: 'database', keyEncryptionKey: 'abcd' } }), /at least 32 bytes/)
  t.match(await build({ ...base, keys: [generateKey('EdDSA')], keyRing: { store: 'database', keyEncryptionKey: KEK_TEXT } }), /exclusive/)
  t.match(await build({ ...base, keyRing: { store: 'elsewhere', keyEncryptionKey: KEK_TEXT } }), /tokens\.keyRing\.store: must be "database" or a KeyRingStore/)

  const store = new MemorySessionStore()
  const app = Fastify({ logger: false })
  await app.register(authgate, { tokens: { ...base, keyRing: { store: 'database', keyEncryptionKey: KEK_TEXT, refreshInterval: '1s' } }, store, rateLimit: false })
  app.get('/private', { config: { auth: 'required' } }, async () => ({ ok: true }))
  await app.ready()
  t.teardown(() => app.close())
  const empty = await app.inject({ url: '/.well-known/jwks.json' })
  t.same(empty.json(), { keys: [] })
  t.equal(empty.headers['cache-control'], 'no-store', 'an empty key set is never cached (it must not outlive the outage)')
  const outage = await app.inject({ url: '/private', headers: { authorization: 'Bearer a.b.c' } })
  t.equal(outage.statusCode, 503, 'no keys yet: 503, not a logout')
  t.equal(outage.json().code, 'AUTH_KEYS_UNAVAILABLE')

  const created = await rotateKeyRing(store.keyRingStore(), { algorithm: 'EdDSA', kek: parseKeyEncryptionKey(KEK_TEXT, 'k'), minNextAgeMs: 0 })
  const deadline = Date.now() + 5000
  while (Date.now() < deadline && app.authgate.tokens.jwks().keys.length === 0) await new Promise((resolve) => setTimeout(resolve, 50))
  const jwks = await app.inject({ url: '/.well-known/jwks.json' })
  t.same(jwks.json<{ keys: Array<{ kid: string }> }>().keys.map((key) => key.kid).sort(), [created.current, created.next].sort(), 'picked up without a restart')
  t.equal(jwks.headers['cache-control'], 'public, max-age=1', 'max-age ≤ the refresh interval')
  const token = app.authgate.tokens.sign({ sub: 'u1', sid: 's1', roles: [] }).token
  t.equal((await app.inject({ url: '/private', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)

  const fixed = Fastify({ logger: false })
  await fixed.register(authgate, { tokens: { ...base, keys: [generateKey('EdDSA')] }, rateLimit: false })
  t.teardown(() => fixed.close())
  t.equal((await fixed.inject({ url: '/.well-known/jwks.json' })).headers['cache-control'], 'public, max-age=300', 'a static key set keeps 300 s')
})
