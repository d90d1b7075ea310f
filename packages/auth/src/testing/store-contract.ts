// The contract every SessionStore passes: the built-in ones (test/store-memory.test.ts, test/store-mongo.test.ts) and
// any store of your own, through @authgate/fastify/testing. Each subtest builds its own store with the factory.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { AuthError } from '../errors.js'
import { hasOidcStore } from '../stores/oidc.js'
import { MAX_PREVIOUS_HASHES, type NewSession } from '../stores/store.js'
import { addUser, findUserByEmail, normaliseEmail } from '../users/add-user.js'
import type { ContractTest } from './contract-test.js'
import { present, type OidcStoreFactory, type StoreFactory } from './factories.js'
import { adminContract } from './store-contract-admin.js'
import { auditContract } from './store-contract-audit.js'
import { networkContract } from './store-contract-networks.js'
import { oidcContract } from './store-contract-oidc.js'
import { oneTimeContract } from './store-contract-one-time.js'

const hash = (): string => createHash('sha256').update(randomBytes(32)).digest('hex')
const DAY = 86_400_000

function newSession (overrides: Partial<NewSession> = {}): NewSession {
  const now = new Date()
  const id = randomUUID()
  return {
    id, userId: 'u1', familyId: id, tokenHash: hash(), roles: ['user'], email: 'a@example.com', device: 'd1',
    ip: '127.0.0.1', userAgent: 'ua', createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + DAY), ...overrides
  }
}

function rotateInput (currentHash: string, nextHash = hash(), now = new Date()) {
  return {
    currentHash, nextHash, now, idleSince: new Date(now.getTime() - DAY), ip: '10.0.0.1', userAgent: 'ua2',
    grace: { hash: currentHash, retiredAt: now, sealed: 'sealed-' + nextHash.slice(0, 8) }
  }
}

/**
 * Registers the store contract's subtests on `t`. Without `limitedOidc` the OIDC part is left out, and one subtest
 * checks that the store indeed has no `oidcStore()` (a store that does must be given its OIDC factory, so that part
 * is not skipped by mistake).
 */
export function storeContract<T extends ContractTest> (t: T, factory: StoreFactory<T>, limitedOidc?: OidcStoreFactory<T>): void {
  networkContract(t, factory)
  oneTimeContract(t, factory)
  auditContract(t, factory)
  adminContract(t, factory)
  if (limitedOidc === undefined) {
    t.test('oidc: left out, for a store that cannot hold OIDC identities', async (t) => {
      const store = await factory(t)
      t.notOk(hasOidcStore(store), 'a store with oidcStore() is given an OidcStoreFactory too, so its OIDC part runs')
    })
  } else {
    oidcContract(t, factory, limitedOidc)
  }
  t.test('findByTokenHash: the live session holding the hash as current token only', async (t) => {
    const store = await factory(t)
    const session = await store.createSession(newSession())
    const now = new Date()
    t.equal((await store.findByTokenHash(session.tokenHash, now, new Date(now.getTime() - DAY)))?.id, session.id)
    t.equal(await store.findByTokenHash(hash(), now, new Date(now.getTime() - DAY)), null, 'unknown hash')
    const rotated = present(await store.rotateSession(rotateInput(session.tokenHash)), 'rotated session')
    t.equal(await store.findByTokenHash(session.tokenHash, now, new Date(now.getTime() - DAY)), null, 'a retired hash is not current')
    t.equal(await store.findByTokenHash(rotated.tokenHash, now, new Date(Date.now() + 1000)), null, 'an idle session is not live')
  })

  t.test('users: create, find, duplicate email refused', async (t) => {
    const store = await factory(t)
    const user = await store.createUser({ id: 'user-1', email: 'Ann@Example.com', emailNormalized: 'ann@example.com', passwordHash: '$argon2id$x', roles: ['user'] })
    t.equal(user.id, 'user-1')
    t.ok(user.createdAt instanceof Date)
    t.equal((await store.findUserByEmail('ann@example.com'))?.id, 'user-1')
    t.equal((await store.findUserById('user-1'))?.email, 'Ann@Example.com')
    t.equal(await store.findUserByEmail('nobody@example.com'), null)
    t.equal(await store.findUserById('nope'), null)
    const duplicate = await store.createUser({ id: 'user-2', email: 'ANN@example.com', emailNormalized: 'ann@example.com', roles: [] })
      .then(() => null, (error: unknown) => error)
    t.ok(duplicate instanceof AuthError && duplicate.code === 'AUTH_EMAIL_TAKEN', 'duplicate email is AUTH_EMAIL_TAKEN')
    t.equal(await store.findUserById('user-2'), null, 'the duplicate was not stored')
    t.equal(await store.setUserRoles('user-1', ['user', 'admin']), true)
    t.same((await store.findUserById('user-1'))?.roles, ['user', 'admin'])
    t.equal(await store.setUserRoles('nope', ['admin']), false)
  })

  t.test('users: look-alike spellings of a registered email are its identity (addUser, issue #11 item 13)', async (t) => {
    const store = await factory(t)
    const victim = await addUser(store, { email: 'victim@example.test', password: 'long enough' })
    // Fullwidth letters and at sign, dotless ı, long ſ, upper case, fullwidth full stop.
    for (const spelling of ['ＶICTIM@example.test', 'vıctim@example.test', 'victim@example.teſt', 'VICTIM@EXAMPLE.TEST', 'victim＠example．test']) {
      await t.rejects(addUser(store, { email: spelling, password: 'long enough' }), { code: 'AUTH_EMAIL_TAKEN' }, spelling)
      t.equal((await store.findUserByEmail(normaliseEmail(spelling)))?.id, victim.id, `${spelling} finds the victim`)
    }
    const fullwidth = await addUser(store, { email: 'ＡＮＮ@example.test', password: 'long enough' })
    t.match(fullwidth, { email: 'ANN@example.test', emailNormalized: 'ann@example.test' }, 'stored in its NFKC form')
  })

  t.test('users: stacked marks, look-alike punctuation and IDN domains (addUser, issue #11 item 13)', async (t) => {
    const store = await factory(t)
    await addUser(store, { email: 'victim@example.test', password: 'long enough' })
    // `i` + U+0307, `İ` (folds to `i` + U+0307), `m` + U+0338, U+2010/U+2011 hyphens and U+2212 minus for `-`.
    for (const spelling of ['vi\u0307ctim@example.test', 'v\u0130ctim@example.test', 'victim\u0338@example.test',
      'vic\u2010tim@example.test', 'vic\u2011tim@example.test', 'vic\u2212tim@example.test', 'victim@ex\u2010ample.test', 'victim@exam%70le.test']) {
      await t.rejects(addUser(store, { email: spelling, password: 'long enough' }), { code: 'AUTH_BAD_REQUEST' }, JSON.stringify(spelling))
    }
    const idn = await addUser(store, { email: 'victim@ex\u00e4mple.test', password: 'long enough' })
    t.equal(idn.emailNormalized, 'victim@xn--exmple-cua.test', 'the domain as DNS names it')
    await t.rejects(addUser(store, { email: 'victim@xn--exmple-cua.test', password: 'long enough' }), { code: 'AUTH_EMAIL_TAKEN' }, 'Unicode and punycode: one domain')
    await addUser(store, { email: 'a@stra\u00dfe.de', password: 'long enough' })
    const strasse = await addUser(store, { email: 'a@strasse.de', password: 'long enough' })
    t.equal(strasse.emailNormalized, 'a@strasse.de', '`straße.de` and `strasse.de` are two domains (IDNA2008)')
    for (const email of ['cafe\u0301@example.test', '\u0930\u093e\u092e@example.test']) {
      t.ok(await addUser(store, { email, password: 'long enough' }), `${JSON.stringify(email)}: accents NFC composes and marks of scripts written with them pass`)
    }
  })

  t.test('users: an account stored under the old key form stays reachable (findUserByEmail falls back once)', async (t) => {
    const store = await factory(t)
    // Before the identity key: NFC, trimmed, lower-cased, domain as written.
    const old = await store.createUser({ id: 'old-1', email: 'Old@Ex\u00e4mple.test', emailNormalized: 'old@ex\u00e4mple.test', passwordHash: '$argon2id$x', roles: [] })
    t.equal((await findUserByEmail(store, 'OLD@ex\u00e4mple.test'))?.id, old.id, 'found under its old key')
    t.equal(await findUserByEmail(store, 'old@example.test'), null)
    await t.rejects(addUser(store, { email: 'old@ex\u00e4mple.test', password: 'long enough' }), { code: 'AUTH_EMAIL_TAKEN' }, 'the same identity cannot register again')
  })

  t.test('listUserSessions pages newest first without skipping or repeating (ties in createdAt)', async (t) => {
    const store = await factory(t)
    const now = Date.now()
    const created = new Date(now - 1000)
    const ids: string[] = []
    for (let index = 0; index < 7; index++) {
      const session = await store.createSession(newSession({ userId: 'pager', createdAt: index < 4 ? created : new Date(now - 5000 - index) }))
      ids.push(session.id)
    }
    await store.createSession(newSession({ userId: 'other' }))
    const idleSince = new Date(now - DAY)
    const all = await store.listUserSessions('pager', new Date(), idleSince)
    t.equal(all.length, 7)
    const paged: string[] = []
    let after: { createdAt: Date, id: string } | undefined
    for (let round = 0; round < 10; round++) {
      const page = await store.listUserSessions('pager', new Date(), idleSince, { limit: 3, ...(after === undefined ? {} : { after }) })
      t.ok(page.length <= 3, 'at most the limit')
      if (page.length === 0) break
      paged.push(...page.map((session) => session.id))
      const last = present(page.at(-1), 'last session of the page')
      after = { createdAt: last.createdAt, id: last.id }
    }
    t.same(paged, all.map((session) => session.id), 'the pages, joined, are the whole list in its order')
    t.same([...paged].sort(), [...ids].sort(), 'every session once')
  })

  t.test('rotation is a compare-and-swap: 50 concurrent callers, exactly one wins', async (t) => {
    const store = await factory(t)
    const session = await store.createSession(newSession())
    const results = await Promise.all(Array.from({ length: 50 }, async () => store.rotateSession(rotateInput(session.tokenHash))))
    const winners = results.filter((result) => result !== null)
    t.equal(winners.length, 1, 'exactly one rotation applied')
    const winner = present(winners[0], 'winning rotation')
    t.not(winner.tokenHash, session.tokenHash)
    t.same(winner.previousHashes, [session.tokenHash])
    t.equal(winner.grace?.hash, session.tokenHash)
    t.equal(winner.ip, '10.0.0.1')
    t.equal((await store.findByPreviousHash(session.tokenHash))?.id, session.id)
    t.equal(await store.rotateSession(rotateInput(session.tokenHash)), null, 'the retired hash never rotates again')
    const next = await store.rotateSession(rotateInput(winner.tokenHash))
    t.same(next?.previousHashes, [session.tokenHash, winner.tokenHash], 'history grows newest last')
  })

  t.test('expired, idle and revoked sessions are filtered although their documents remain', async (t) => {
    const store = await factory(t)
    const now = new Date()
    const expired = await store.createSession(newSession({ expiresAt: new Date(now.getTime() - 1000) }))
    const idle = await store.createSession(newSession({ lastUsedAt: new Date(now.getTime() - 2 * DAY) }))
    const live = await store.createSession(newSession())
    t.equal(await store.rotateSession(rotateInput(expired.tokenHash)), null, 'past expiresAt does not rotate')
    t.equal(await store.rotateSession(rotateInput(idle.tokenHash)), null, 'idle past the timeout does not rotate')
    t.equal(await store.findActiveSession(expired.id, now, new Date(now.getTime() - DAY)), null)
    t.equal(await store.findActiveSession(idle.id, now, new Date(now.getTime() - DAY)), null)
    t.equal((await store.findActiveSession(live.id, now, new Date(now.getTime() - DAY)))?.id, live.id)
    const listed = await store.listUserSessions('u1', now, new Date(now.getTime() - DAY))
    t.same(listed.map((session) => session.id), [live.id])
    t.equal(await store.revokeByTokenHash(expired.tokenHash, now), null, 'an expired session is not revocable by token')
  })

  t.test('revocations', async (t) => {
    const store = await factory(t)
    const since = new Date(Date.now() - 1000)
    const a = await store.createSession(newSession())
    const b = await store.createSession(newSession())
    const c = await store.createSession(newSession())
    const other = await store.createSession(newSession({ userId: 'u2' }))

    const revoked = await store.revokeByTokenHash(a.tokenHash, new Date())
    t.equal(revoked?.id, a.id)
    t.ok(revoked?.revokedAt instanceof Date)
    t.equal(await store.revokeByTokenHash(a.tokenHash, new Date()), null, 'a second revoke finds nothing')

    t.same(await store.revokeUserSession('u1', other.id, new Date()), { found: false, revoked: false }, 'not the caller\'s')
    t.same(await store.revokeUserSession('u1', 'missing', new Date()), { found: false, revoked: false })
    t.same(await store.revokeUserSession('u1', b.id, new Date()), { found: true, revoked: true })
    t.same(await store.revokeUserSession('u1', b.id, new Date()), { found: true, revoked: false })

    const d = await store.createSession(newSession())
    t.same((await store.revokeUserSessions('u1', new Date(), d.id)).sort(), [c.id].sort(), 'all but the current')
    t.same(await store.revokeUserSessions('u1', new Date()), [d.id])
    t.same(await store.revokeUserSessions('u1', new Date()), [])

    const list = await store.listRevokedSince(since)
    t.same(new Set(list.map((entry) => entry.id)), new Set([a.id, b.id, c.id, d.id]))
    t.ok(list.every((entry, index) => index === 0 || entry.revokedAt >= present(list[index - 1], 'previous entry').revokedAt), 'oldest first')
    t.same(await store.listRevokedSince(new Date(Date.now() + 60_000)), [])
    t.equal((await store.findActiveSession(other.id, new Date(), new Date(0)))?.id, other.id, 'other users untouched')
  })

  t.test('grace entry: revocable by the retired hash, cleared on demand, family revocation', async (t) => {
    const store = await factory(t)
    const session = await store.createSession(newSession())
    const rotated = present(await store.rotateSession(rotateInput(session.tokenHash)), 'rotated session')
    await store.clearGrace(session.id, 'not-the-hash')
    t.equal((await store.findByPreviousHash(session.tokenHash))?.grace?.hash, session.tokenHash, 'wrong hash clears nothing')
    await store.clearGrace(session.id, session.tokenHash)
    t.equal((await store.findByPreviousHash(session.tokenHash))?.grace, null)

    const second = present(await store.rotateSession(rotateInput(rotated.tokenHash)), 'rotated session')
    t.equal(await store.revokeByTokenHash(rotated.tokenHash, new Date()), null, 'no grace window given: the retired hash matches nothing')
    t.equal(await store.revokeByTokenHash(rotated.tokenHash, new Date(), new Date(Date.now() + 1000)), null,
      'a grace entry older than the window does not revoke')
    const byGrace = await store.revokeByTokenHash(rotated.tokenHash, new Date(), new Date(Date.now() - 10_000))
    t.equal(byGrace?.id, session.id, 'logout with the token retired in the grace window ends the session')
    t.equal(await store.rotateSession(rotateInput(second.tokenHash)), null)

    const family = await store.createSession(newSession())
    t.same(await store.revokeFamily(family.familyId, new Date()), [family.id])
    t.same(await store.revokeFamily(family.familyId, new Date()), [])
  })

  t.test('devices: first sighting is new, exactly once under concurrency', async (t) => {
    const store = await factory(t)
    const seen = { userId: 'u1', deviceId: 'dev-1', userAgent: 'ua', ip: '127.0.0.1', now: new Date() }
    const results = await Promise.all(Array.from({ length: 10 }, async () => store.recordDevice(seen)))
    t.equal(results.filter((result) => result.isNew).length, 1)
    t.same(await store.recordDevice({ ...seen, ip: '::1' }), { isNew: false })
    t.same(await store.recordDevice({ ...seen, userId: 'u2' }), { isNew: true }, 'known device, other user: new')
    const devices = await store.listDevices('u1')
    t.equal(devices.length, 1)
    t.equal(devices[0]?.lastIp, '::1')
  })

  // Every update operator the stores rely on, read back from what is stored (issue #17: FerretDB v1 accepted `$slice`
  // and silently ignored it, so the cap never applied there and no test noticed).
  t.test(`previousHashes keeps the newest ${MAX_PREVIOUS_HASHES} retired hashes, oldest first ($push $each $slice)`, async (t) => {
    const store = await factory(t)
    const session = await store.createSession(newSession())
    const retired: string[] = []
    let current = session.tokenHash
    for (let i = 0; i < MAX_PREVIOUS_HASHES + 10; i++) {
      const rotated = await store.rotateSession(rotateInput(current))
      if (rotated === null) throw new Error(`rotation ${i} did not apply`)
      retired.push(current)
      current = rotated.tokenHash
    }
    const last = present(retired.at(-1), 'retired hash')
    const stored = await store.findByPreviousHash(last)
    t.equal(stored?.previousHashes.length, MAX_PREVIOUS_HASHES, `the stored history holds ${MAX_PREVIOUS_HASHES} hashes`)
    t.same(stored?.previousHashes, retired.slice(-MAX_PREVIOUS_HASHES), 'the newest ones, oldest first')
    t.equal(await store.findByPreviousHash(present(retired[0], 'retired hash')), null, 'the oldest retired hash is forgotten')
    t.equal((await store.findByPreviousHash(present(retired[10], 'retired hash')))?.id, session.id, 'the oldest kept hash still finds the session')
    t.equal((await store.findByTokenHash(current, new Date(), new Date(0)))?.previousHashes.length, MAX_PREVIOUS_HASHES)
  })

  t.test('rotation stores every field it sets ($set) and the grace entry is cleared to null ($set null)', async (t) => {
    const store = await factory(t)
    const session = await store.createSession(newSession())
    const now = new Date(Date.now() + 5000)
    const input = rotateInput(session.tokenHash, hash(), now)
    await store.rotateSession(input)
    const stored = await store.findByTokenHash(input.nextHash, now, new Date(0))
    t.equal(stored?.tokenHash, input.nextHash)
    t.equal(stored?.ip, input.ip)
    t.equal(stored?.userAgent, input.userAgent)
    t.equal(stored?.lastUsedAt.getTime(), now.getTime(), 'lastUsedAt is the rotation time')
    t.same(stored?.grace, input.grace, 'the grace entry as given')
    t.same(stored?.roles, session.roles, 'fields the rotation does not set are kept')
    t.equal(stored?.createdAt.getTime(), session.createdAt.getTime())
    await store.clearGrace(session.id, session.tokenHash)
    t.equal((await store.findByTokenHash(input.nextHash, now, new Date(0)))?.grace, null)
    await store.revokeByTokenHash(input.nextHash, now)
    const revoked = await store.findByPreviousHash(session.tokenHash)
    t.ok(revoked?.revokedAt instanceof Date, 'revokedAt is stored')
    t.equal(revoked?.tokenHash, input.nextHash, 'revocation leaves the token fields alone')
  })

  t.test('devices: the first sighting is kept ($setOnInsert), the latest one updated ($set on upsert)', async (t) => {
    const store = await factory(t)
    const first = new Date(Date.now() - 60_000)
    const later = new Date()
    await store.recordDevice({ userId: 'u1', deviceId: 'dev-1', userAgent: 'ua-1', ip: '10.0.0.1', now: first })
    await store.recordDevice({ userId: 'u1', deviceId: 'dev-1', userAgent: 'ua-2', ip: '10.0.0.2', now: later })
    const [device, ...others] = await store.listDevices('u1')
    t.equal(others.length, 0, 'one document per device')
    t.equal(device?.firstSeenAt.getTime(), first.getTime(), 'firstSeenAt is the first sighting')
    t.equal(device?.lastSeenAt.getTime(), later.getTime(), 'lastSeenAt is the latest')
    t.equal(device?.lastIp, '10.0.0.2')
    t.equal(device?.userAgent, 'ua-2')
  })

  t.test('devices: one recorded under its cookie value (before opaque ids) is rewritten to the opaque id, not new', async (t) => {
    const store = await factory(t)
    const first = new Date(Date.now() - DAY)
    await store.recordDevice({ userId: 'u1', deviceId: 'RawCookieValue00000000', userAgent: 'ua', ip: '127.0.0.1', now: first })
    const now = new Date()
    const seen = { userId: 'u1', deviceId: 'opaque-1', legacyDeviceId: 'RawCookieValue00000000', userAgent: 'ua2', ip: '::1', now }
    t.same(await store.recordDevice(seen), { isNew: false }, 'the same device')
    const devices = await store.listDevices('u1')
    t.same(devices.map((device) => device.deviceId), ['opaque-1'], 'only the opaque id remains')
    t.equal(devices[0]?.firstSeenAt.getTime(), first.getTime(), 'its first sighting kept')
    t.same(await store.recordDevice(seen), { isNew: false })
    t.same(await store.recordDevice({ ...seen, userId: 'u2' }), { isNew: true }, 'another user\'s device under that value: new')
    t.same(await store.recordDevice({ ...seen, deviceId: 'opaque-2', legacyDeviceId: 'NeverRecorded000000000' }), { isNew: true })
  })

  t.test('ping answers', async (t) => {
    const store = await factory(t)
    await store.ping()
    await store.init()
    t.pass('ping and a second init resolve')
  })
}
