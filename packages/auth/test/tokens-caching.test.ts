// The hot path's cost rests on two caches; this checks the mechanisms deterministically (what they cost is measured
// by the benchmarks in test/bench, never asserted as wall-clock limits here):
// - a repeated token is answered from the verifier's cache of verified tokens (by exact text): the very same frozen
//   outcome comes back, and the clock is still checked on every hit;
// - a gateway assertion for the same claims and audience is reused, not re-signed, and never shared across audiences;
// - failures are never served from a cache (covered in tokens-claims.test.ts: "the failure was not cached").
import t from 'tap'
import { createAuthenticator } from '../src/http/authenticate.js'
import { service } from './helpers/keys.js'

t.test('EdDSA: a repeated token returns the memoised, frozen claims', async (t) => {
  const tokens = service('EdDSA')
  const auth = createAuthenticator({ tokens })
  const headers = { authorization: `Bearer ${tokens.sign({ sub: 'u1', sid: 's1', roles: ['a'] }).token}` }
  const first = auth.authenticate(headers)
  const second = auth.authenticate(headers)
  if (!first.ok || !second.ok) throw new Error('a freshly signed token must verify')
  t.equal(second.claims, first.claims, 'the same claims object: no re-parse, no re-check, no allocation')
  t.ok(Object.isFrozen(first.claims), 'shared claims cannot be mutated by one request for the next')
  const other = auth.authenticate({ authorization: `Bearer ${tokens.sign({ sub: 'u2', sid: 's2', roles: [] }).token}` })
  if (!other.ok) throw new Error('a freshly signed token must verify')
  t.not(other.claims, first.claims, 'another token gets its own claims')
  t.equal(other.claims.sub, 'u2')
})

t.test('a cached token is still judged by the clock: refused once expired and while its iat is in the future', async (t) => {
  const tokens = service('EdDSA', { accessTtl: 60, clockTolerance: 0 })
  const token = tokens.sign({ sub: 'u1', sid: 's1', roles: [] }).token
  t.ok(tokens.verify(token).ok, 'valid now (and cached)')
  const realNow = Date.now
  t.teardown(() => { Date.now = realNow })
  Date.now = () => realNow() + 61_000
  const later = tokens.verify(token)
  t.equal(later.ok ? 'ok' : later.error.code, 'AUTH_TOKEN_EXPIRED', 'the cache hit checks exp against the clock')
  Date.now = () => realNow() - 3_600_000
  const early = tokens.verify(token)
  t.equal(early.ok ? 'ok' : early.error.code, 'AUTH_TOKEN_INVALID', 'an iat in the future is refused on a cache hit too')
  Date.now = realNow
  t.ok(tokens.verify(token).ok, 'and valid again at the right time')
})

t.test('assertions are reused per claims and audience', async (t) => {
  const tokens = service('EdDSA')
  const outcome = tokens.verify(tokens.sign({ sub: 'u1', sid: 's1', roles: ['a'] }).token)
  if (!outcome.ok) throw outcome.error
  const a1 = tokens.signAssertion(outcome.claims, '/api')
  t.equal(tokens.signAssertion(outcome.claims, '/api'), a1, 'same claims and audience: the same assertion')
  t.not(tokens.signAssertion(outcome.claims, '/admin'), a1, 'another audience: another assertion')
})
