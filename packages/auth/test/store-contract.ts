// The one contract every SessionStore passes (run by store-memory.test.ts and store-mongo.test.ts).
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { stateNetwork } from '../src/oidc/state-bucket.js'
import { AuthError } from '../src/errors.js'
import { MAX_PREVIOUS_HASHES, type NewSession, type SessionStore } from '../src/stores/store.js'
import { addUser, findUserByEmail, normaliseEmail } from '../src/users/add-user.js'
import { networkContract } from './store-contract-networks.js'
import { oneTimeContract } from './store-contract-one-time.js'
import { auditContract } from './store-contract-audit.js'
import { adminContract } from './store-contract-admin.js'
import { DEFAULT_STATES_PER_CLIENT, hasOidcStore, JOIN_CLAIM_MS, type LoginStateLimits, type OidcStore } from '../src/stores/oidc.js'

export type StoreFactory = (t: Test) => Promise<SessionStore>
/** A fresh OIDC store of the same kind with lowered caps on login states. */
export type OidcStoreFactory = (t: Test, limits: LoginStateLimits) => Promise<OidcStore>

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

export function storeContract (t: Test, factory: StoreFactory, limitedOidc: OidcStoreFactory): void {
  networkContract(t, factory)
  oneTimeContract(t, factory)
  auditContract(t, factory)
  adminContract(t, factory)
  t.test('oidc identities: linked once per (provider, subject), never by anything else', async (t) => {
    const store = await factory(t)
    t.ok(hasOidcStore(store), 'the built-in stores can hold OIDC identities')
    if (!hasOidcStore(store)) return
    const oidc = store.oidcStore()
    const subject = `sub-${randomUUID()}`
    const createdAt = new Date()
    t.equal(await oidc.findIdentity('alpha', subject), null)
    t.equal(await oidc.linkIdentity({ provider: 'alpha', subject, userId: 'u-1', createdAt }), true)
    t.equal(await oidc.linkIdentity({ provider: 'alpha', subject, userId: 'u-2', createdAt }), false, 'a second link of the same identity is refused')
    t.match(await oidc.findIdentity('alpha', subject), { provider: 'alpha', subject, userId: 'u-1' }, 'the first link stands')
    t.equal(await oidc.findIdentity('beta', subject), null, 'the same sub at another provider is another identity')
    t.equal(await oidc.linkIdentity({ provider: 'beta', subject, userId: 'u-3', createdAt }), true)
    t.equal((await oidc.findIdentity('beta', subject))?.userId, 'u-3')
    // `alpha` + `x:y` and `alpha:x` + `y` must not meet in one key.
    t.equal(await oidc.findIdentity('alpha', `${subject}:x`), null)
  })

  t.test('oidc identities: unlinked one by one (only while still naming the user) or all of a user', async (t) => {
    const store = await factory(t)
    if (!hasOidcStore(store)) return t.fail('no oidcStore()')
    const oidc = store.oidcStore()
    const subject = `sub-${randomUUID()}`
    const [user, other] = [`u-${randomUUID()}`, `u-${randomUUID()}`]
    const createdAt = new Date()
    for (const provider of ['alpha', 'beta', 'gamma']) t.equal(await oidc.linkIdentity({ provider, subject, userId: user, createdAt }), true)
    t.equal(await oidc.linkIdentity({ provider: 'alpha', subject: `${subject}-2`, userId: other, createdAt }), true)
    t.equal(await oidc.unlinkIdentity('alpha', subject, other), false, 'a link naming another user is kept')
    t.equal((await oidc.findIdentity('alpha', subject))?.userId, user)
    t.equal(await oidc.unlinkIdentity('alpha', subject, user), true)
    t.equal(await oidc.findIdentity('alpha', subject), null, 'gone')
    t.equal(await oidc.unlinkIdentity('alpha', subject, user), false, 'gone already')
    t.equal(await oidc.linkIdentity({ provider: 'alpha', subject, userId: other, createdAt }), true, 'the identity can be linked anew')
    t.equal(await oidc.unlinkUser(user), 2, 'the user\'s remaining links (beta, gamma)')
    t.equal(await oidc.findIdentity('beta', subject), null)
    t.equal(await oidc.findIdentity('gamma', subject), null)
    t.equal((await oidc.findIdentity('alpha', `${subject}-2`))?.userId, other, 'another user\'s links stay')
    t.equal(await oidc.unlinkUser(user), 0)
  })

  t.test('oidc join claims: exactly one subject of racing ones wins; its own again; another only once expired', async (t) => {
    const store = await factory(t)
    if (!hasOidcStore(store)) return t.fail('no oidcStore()')
    const oidc = store.oidcStore()
    const user = `u-${randomUUID()}`
    const now = new Date()
    const subjects = Array.from({ length: 8 }, (_, index) => `sub-${index}`)
    const won = await Promise.all(subjects.map((subject) => oidc.claimJoin('alpha', user, subject, now)))
    t.equal(won.filter(Boolean).length, 1, 'of 8 racing subjects exactly one wins')
    const winner = subjects[won.indexOf(true)] as string
    const loser = subjects.find((subject) => subject !== winner) as string
    t.equal(await oidc.claimJoin('alpha', user, winner, now), true, 'the winner claims again (its parallel callbacks, its next sign-in)')
    t.equal(await oidc.claimJoin('alpha', user, loser, new Date(now.getTime() + JOIN_CLAIM_MS - 1000)), false, 'another subject loses while the claim lives')
    t.equal(await oidc.claimJoin('beta', user, loser, now), true, 'claims are per provider')
    t.equal(await oidc.claimJoin('alpha', `${user}-2`, loser, now), true, 'and per account')
    t.equal(await oidc.claimJoin('alpha', `${user}:x`, loser, now), true, 'a user id extending another after a ":" is another account')
    const later = new Date(now.getTime() + JOIN_CLAIM_MS + 1000)
    const retaken = await Promise.all(subjects.map((subject) => oidc.claimJoin('alpha', user, subject, later)))
    t.equal(retaken.filter(Boolean).length, 1, 'an expired claim is taken over by exactly one of racing subjects')
    const next = subjects[retaken.indexOf(true)] as string
    t.equal(await oidc.claimJoin('alpha', user, next, later), true, 'which then holds it')
    t.equal(await oidc.claimJoin('alpha', user, subjects.find((subject) => subject !== next) as string, later), false, 'against the others')
  })

  t.test('oidc identities: whether a provider has bound a user to a subject (other than one)', async (t) => {
    const store = await factory(t)
    if (!hasOidcStore(store)) return t.fail('no oidcStore()')
    const oidc = store.oidcStore()
    const subject = `sub-${randomUUID()}`
    const [user, other] = [`u-${randomUUID()}`, `u-${randomUUID()}`]
    const createdAt = new Date()
    t.equal(await oidc.hasIdentity('alpha', user), false, 'no links yet')
    t.equal(await oidc.linkIdentity({ provider: 'alpha', subject, userId: user, createdAt }), true)
    t.equal(await oidc.linkIdentity({ provider: 'beta', subject: `${subject}-b`, userId: other, createdAt }), true)
    t.equal(await oidc.hasIdentity('alpha', user), true, 'alpha has bound the user')
    t.equal(await oidc.hasIdentity('alpha', user, `${subject}-new`), true, 'to a subject other than a new one')
    t.equal(await oidc.hasIdentity('alpha', user, subject), false, 'to no subject but this one')
    t.equal(await oidc.hasIdentity('beta', user), false, 'another provider has not')
    t.equal(await oidc.hasIdentity('alpha', other), false, 'another user\'s links do not count')
    t.equal(await oidc.hasIdentity('alph', user), false, 'the provider name matches exactly')
    t.equal(await oidc.unlinkIdentity('alpha', subject, user), true)
    t.equal(await oidc.hasIdentity('alpha', user), false, 'gone with its link')
  })

  t.test('oidc login states: taken exactly once, never after expiry', async (t) => {
    const store = await factory(t)
    if (!hasOidcStore(store)) return t.fail('no oidcStore()')
    const oidc = store.oidcStore()
    const now = new Date()
    const state = (id: string, expiresAt: Date) => ({
      id, provider: 'alpha', bindingHash: hash(), nonce: 'n', codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', returnTo: '/', client: '192.0.2.1', network: '192.0.2.0/24', expiresAt
    })
    const live = hash()
    t.equal(await oidc.saveLoginState(state(live, new Date(now.getTime() + 60_000)), now), 'saved')
    const [first, second] = await Promise.all([oidc.takeLoginState(live, now), oidc.takeLoginState(live, now)])
    t.equal([first, second].filter((taken) => taken !== null).length, 1, 'two concurrent takes: exactly one gets it')
    t.match(first ?? second, { id: live, provider: 'alpha', nonce: 'n', codeVerifier: 'v', returnTo: '/' })
    t.equal(await oidc.takeLoginState(live, now), null, 'gone once taken')
    const expired = hash()
    await oidc.saveLoginState(state(expired, new Date(now.getTime() - 1)), now)
    t.equal(await oidc.takeLoginState(expired, now), null, 'an expired state is never handed out')
    t.equal(await oidc.takeLoginState(hash(), now), null, 'unknown')
  })

  t.test('oidc login states: a client at its cap of live states is refused, never anyone else\'s state evicted', async (t) => {
    const store = await factory(t)
    if (!hasOidcStore(store)) return t.fail('no oidcStore()')
    const oidc = store.oidcStore()
    const now = new Date()
    const state = (client: string, expiresAt = new Date(now.getTime() + 60_000)) => ({
      id: hash(), provider: 'alpha', bindingHash: hash(), nonce: 'n', codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', returnTo: '/', client, network: stateNetwork(client), expiresAt
    })
    const victim = state('198.51.100.7')
    t.equal(await oidc.saveLoginState(victim, now), 'saved')
    const attacker = `203.0.113.${randomBytes(1)[0] ?? 0}`
    // Expired states of the client do not count.
    for (let i = 0; i < 3; i++) await oidc.saveLoginState(state(attacker, new Date(now.getTime() - 1000)), now)
    let saved = 0
    for (let i = 0; i < DEFAULT_STATES_PER_CLIENT + 5; i++) if (await oidc.saveLoginState(state(attacker), now) === 'saved') saved++
    t.equal(saved, DEFAULT_STATES_PER_CLIENT, 'the client\'s live states stop at its cap')
    t.equal(await oidc.saveLoginState(state(attacker), now), 'client-full')
    t.equal(await oidc.saveLoginState(state('198.51.100.8'), now), 'saved', 'another client still starts sign-ins')
    t.match(await oidc.takeLoginState(victim.id, now), { id: victim.id }, 'the earlier live state of another client is intact')
  })

  t.test('oidc login states: parallel saves of one client never pass its cap together', async (t) => {
    // 64 at once, with a cap of 8: any check-before-insert would let most of them through.
    const perClient = 8
    const oidc = await limitedOidc(t, { total: 10_000, perClient, perNetwork: 10_000 })
    const now = new Date()
    const client = `192.0.2.${randomBytes(1)[0] ?? 0}`
    const state = () => ({
      id: hash(), provider: 'alpha', bindingHash: hash(), nonce: 'n', codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', returnTo: '/', client, network: stateNetwork(client), expiresAt: new Date(now.getTime() + 60_000)
    })
    const results = await Promise.all(Array.from({ length: 64 }, async () => oidc.saveLoginState(state(), now)))
    const parallel = results.filter((result) => result === 'saved').length
    t.ok(parallel <= perClient, `${parallel} saved in parallel, at most the cap`)
    t.ok(results.every((result) => result === 'saved' || result === 'client-full'), 'refused as client-full')
    // Sequential saves fill exactly the rest: no refused save left its state behind, none slipped past the cap.
    let after = 0
    for (let i = 0; i < 64; i++) if (await oidc.saveLoginState(state(), now) === 'saved') after++
    t.equal(parallel + after, perClient, 'the client holds exactly its cap of live states')
  })

  t.test('oidc login states: a network (IPv4 /24, IPv6 /48) at its cap is refused, whatever address of it asks', async (t) => {
    const oidc = await limitedOidc(t, { total: 10_000, perClient: 2, perNetwork: 5 })
    const now = new Date()
    const state = (client: string) => ({
      id: hash(), provider: 'alpha', bindingHash: hash(), nonce: 'n', codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', returnTo: '/', client, network: stateNetwork(client), expiresAt: new Date(now.getTime() + 60_000)
    })
    const save = async (client: string) => oidc.saveLoginState(state(client), now)
    for (const client of ['192.0.2.1', '192.0.2.1', '192.0.2.2', '192.0.2.2', '192.0.2.3']) t.equal(await save(client), 'saved', client)
    t.equal(await save('192.0.2.3'), 'network-full', 'the client is below its own cap, its /24 is not')
    t.equal(await save('192.0.2.200'), 'network-full', 'a new address of the /24')
    t.equal(await save('192.0.2.1'), 'client-full')
    t.equal(await save('192.0.3.1'), 'saved', 'the next /24')
    for (const client of ['2001:db8:5:1::1', '2001:db8:5:1::2', '2001:db8:5:2::1', '2001:db8:5:3::1', '2001:db8:5:4::1']) t.equal(await save(client), 'saved', client)
    t.equal(await save('2001:db8:5:ffff::1'), 'network-full', 'another /64 of the same /48')
    t.equal(await save('2001:db8:6::1'), 'saved', 'the next /48')
  })

  t.test('oidc login states: a full store refuses new states (any client) until live ones finish or expire', async (t) => {
    const oidc = await limitedOidc(t, { total: 5, perClient: 100, perNetwork: 100 })
    const now = new Date()
    const later = new Date(now.getTime() + 60_000)
    const state = (client: string, expiresAt = later) => ({
      id: hash(), provider: 'alpha', bindingHash: hash(), nonce: 'n', codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', returnTo: '/', client, network: stateNetwork(client), expiresAt
    })
    const first = state('198.51.100.1')
    t.equal(await oidc.saveLoginState(first, now), 'saved')
    for (let i = 0; i < 4; i++) t.equal(await oidc.saveLoginState(state(`203.0.113.${i}`), now), 'saved')
    t.equal(await oidc.saveLoginState(state('203.0.113.99'), now), 'full', 'refused, not made room for by eviction')
    t.equal(await oidc.saveLoginState(state('203.0.113.98'), now), 'full', 'and again (the verdict is kept, not recounted)')
    t.match(await oidc.takeLoginState(first.id, now), { id: first.id }, 'the oldest live state survived')
    const afterExpiry = new Date(later.getTime() + 1)
    t.equal(await oidc.saveLoginState(state('203.0.113.97', new Date(afterExpiry.getTime() + 60_000)), afterExpiry), 'saved', 'expired states make room')
  })

  t.test('findByTokenHash: the live session holding the hash as current token only', async (t) => {
    const store = await factory(t)
    const session = await store.createSession(newSession())
    const now = new Date()
    t.equal((await store.findByTokenHash(session.tokenHash, now, new Date(now.getTime() - DAY)))?.id, session.id)
    t.equal(await store.findByTokenHash(hash(), now, new Date(now.getTime() - DAY)), null, 'unknown hash')
    const rotated = (await store.rotateSession(rotateInput(session.tokenHash)))!
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
      const last = page.at(-1)!
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
    const winner = winners[0]!
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
    t.ok(list.every((entry, index) => index === 0 || entry.revokedAt >= list[index - 1]!.revokedAt), 'oldest first')
    t.same(await store.listRevokedSince(new Date(Date.now() + 60_000)), [])
    t.equal((await store.findActiveSession(other.id, new Date(), new Date(0)))?.id, other.id, 'other users untouched')
  })

  t.test('grace entry: revocable by the retired hash, cleared on demand, family revocation', async (t) => {
    const store = await factory(t)
    const session = await store.createSession(newSession())
    const rotated = (await store.rotateSession(rotateInput(session.tokenHash)))!
    await store.clearGrace(session.id, 'not-the-hash')
    t.equal((await store.findByPreviousHash(session.tokenHash))?.grace?.hash, session.tokenHash, 'wrong hash clears nothing')
    await store.clearGrace(session.id, session.tokenHash)
    t.equal((await store.findByPreviousHash(session.tokenHash))?.grace, null)

    const second = (await store.rotateSession(rotateInput(rotated.tokenHash)))!
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
    const last = retired.at(-1)!
    const stored = await store.findByPreviousHash(last)
    t.equal(stored?.previousHashes.length, MAX_PREVIOUS_HASHES, `the stored history holds ${MAX_PREVIOUS_HASHES} hashes`)
    t.same(stored?.previousHashes, retired.slice(-MAX_PREVIOUS_HASHES), 'the newest ones, oldest first')
    t.equal(await store.findByPreviousHash(retired[0]!), null, 'the oldest retired hash is forgotten')
    t.equal((await store.findByPreviousHash(retired[10]!))?.id, session.id, 'the oldest kept hash still finds the session')
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
