// Login-state bounds (stores/oidc.ts): a full store refuses new sign-ins and keeps every live one (evicting the
// oldest would let anyone who starts sign-ins cancel everyone else's); expired states make room. And the per-client
// key: IPv6 clients count by /64.
import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import { MemoryOidcStore } from '../src/stores/oidc.js'
import { stateBucket, stateNetwork } from '../src/oidc/state-bucket.js'

const hash = (): string => createHash('sha256').update(randomBytes(32)).digest('hex')

function state (client: string, expiresAt: Date) {
  return { id: hash(), provider: 'alpha', bindingHash: hash(), nonce: 'n', codeVerifier: 'v', redirectUri: 'http://127.0.0.1/cb', returnTo: '/', client, network: stateNetwork(client), expiresAt }
}

t.test('full of live states: new ones refused, the live ones all still usable; expired ones make room', async (t) => {
  const store = new MemoryOidcStore({ total: 5, perClient: 100, perNetwork: 100 })
  const now = new Date()
  const later = new Date(now.getTime() + 60_000)
  const first = state('198.51.100.1', later)
  t.equal(await store.saveLoginState(first, now), 'saved')
  const others = Array.from({ length: 4 }, (_, index) => state(`203.0.113.${index}`, later))
  for (const other of others) t.equal(await store.saveLoginState(other, now), 'saved')
  t.equal(await store.saveLoginState(state('203.0.113.99', later), now), 'full', 'refused, not made room for by eviction')
  t.match(await store.takeLoginState(first.id, now), { id: first.id }, 'the oldest live state survived the flood')
  t.equal(await store.saveLoginState(state('203.0.113.98', later), now), 'saved', 'a finished sign-in frees its place')
  const afterExpiry = new Date(later.getTime() + 1)
  t.equal(await store.saveLoginState(state('203.0.113.97', new Date(afterExpiry.getTime() + 60_000)), afterExpiry), 'saved', 'expired states make room')
})

t.test('client buckets: IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64', async (t) => {
  t.equal(stateBucket('192.0.2.1'), '192.0.2.1')
  t.equal(stateBucket('::ffff:192.0.2.1'), '192.0.2.1')
  t.equal(stateBucket('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64')
  t.equal(stateBucket('2001:db8:1:2::9'), '2001:db8:1:2::/64')
  t.equal(stateBucket('2001:0db8:0001:0002:ffff::1'), '2001:db8:1:2::/64')
  t.equal(stateBucket('2001:db8::1'), '2001:db8:0:0::/64')
  t.equal(stateBucket('::1'), '0:0:0:0::/64')
  t.equal(stateBucket('fe80::1%eth0'), 'fe80:0:0:0::/64')
})

t.test('networks: IPv4 by /24 (also IPv4-mapped), IPv6 by /48', async (t) => {
  t.equal(stateNetwork('192.0.2.1'), '192.0.2.0/24')
  t.equal(stateNetwork('::ffff:192.0.2.77'), '192.0.2.0/24')
  t.equal(stateNetwork('2001:db8:1:2:3:4:5:6'), '2001:db8:1::/48')
  t.equal(stateNetwork('2001:0db8:0001:ffff::1'), '2001:db8:1::/48')
  t.equal(stateNetwork('2001:db8::1'), '2001:db8:0::/48')
  t.equal(stateNetwork('::1'), '0:0:0::/48')
})
