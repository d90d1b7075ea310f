// The OIDC part of the store contract: linked identities, join claims and login states with their caps. Run by
// storeContract when it is given an OidcStoreFactory (a store without OIDC support leaves it out).
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { stateNetwork } from '../oidc/state-bucket.js'
import { DEFAULT_STATES_PER_CLIENT, hasOidcStore, JOIN_CLAIM_MS } from '../stores/oidc.js'
import type { ContractTest } from './contract-test.js'
import type { OidcStoreFactory, StoreFactory } from './factories.js'

const hash = (): string => createHash('sha256').update(randomBytes(32)).digest('hex')

export function oidcContract<T extends ContractTest> (t: T, factory: StoreFactory<T>, limitedOidc: OidcStoreFactory<T>): void {
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
}
