// docs/security.md A.14–A.16 and claim shapes, with validly signed tokens: time boundaries with the tolerance
// (30 s here), iss/aud, identifiers and roles; key rotation; failures are not cached.
import t from 'tap'
import { createAccessTokenService } from '../src/tokens/index.js'
import { generateKey } from '../src/keys/index.js'
import { buildAccessTokenService } from '../src/tokens/service.js'
import { ACCESS_TTL, AUDIENCE, ISSUER, TOLERANCE, codeOf, freshSecond, goodClaims, nowSeconds, service, signedWith, testKey, tokenOptions } from './helpers/keys.js'

const INVALID = 'AUTH_TOKEN_INVALID'
const EXPIRED = 'AUTH_TOKEN_EXPIRED'

function without (claims: Record<string, unknown>, name: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([key]) => key !== name))
}

t.test('A.14 exp: boundaries with the tolerance, missing, wrong type, far future', async (t) => {
  const key = testKey('EdDSA')
  const ed = service('EdDSA')
  await freshSecond()
  const now = nowSeconds()
  const at = (exp: number, iat = exp - 600): string => signedWith(key, goodClaims({ exp, iat }))
  t.equal(codeOf(ed.verify(at(now - (TOLERANCE + 1)))), EXPIRED, 'exp = now - (tolerance + 1 s)')
  t.equal(codeOf(ed.verify(at(now - TOLERANCE + 1))), 'OK', 'exp = now - tolerance + 1 s')
  t.equal(codeOf(ed.verify(signedWith(key, without(goodClaims(), 'exp')))), INVALID, 'exp missing')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ exp: '9999999999' })))), INVALID, 'exp as a string')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ exp: -1 })))), EXPIRED, 'negative exp')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ exp: (now + 600) * 1000 })))), INVALID, 'exp in milliseconds')
  t.equal(codeOf(ed.verify(at(now + ACCESS_TTL + 1, now))), INVALID, 'exp - iat = accessTtl + 1')
  t.equal(codeOf(ed.verify(at(now + ACCESS_TTL, now))), 'OK', 'exp - iat = accessTtl')
  t.equal(codeOf(ed.verify(at(now, now))), INVALID, 'exp = iat')
  t.equal(codeOf(ed.verify(at(now + 100, now - ACCESS_TTL - TOLERANCE - 5))), EXPIRED, 'iat older than maxAge (fast-jwt: expired)')
})

t.test('A.15 nbf and iat in the future', async (t) => {
  const key = testKey('EdDSA')
  const ed = service('EdDSA')
  await freshSecond()
  const now = nowSeconds()
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ nbf: now + 120 })))), INVALID, 'nbf = now + 120 s')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ nbf: now + TOLERANCE - 5 })))), 'OK', 'nbf inside the tolerance')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ nbf: 'soon' })))), INVALID, 'nbf as a string')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ iat: now + 3600, exp: now + 3700 })))), INVALID, 'iat = now + 3600 s')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ iat: now + TOLERANCE + 1, exp: now + 600 })))), INVALID, 'iat = now + tolerance + 1 s')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ iat: now + TOLERANCE - 5, exp: now + 600 })))), 'OK', 'iat inside the tolerance')
  t.equal(codeOf(ed.verify(signedWith(key, without(goodClaims(), 'iat')))), INVALID, 'iat missing')
  t.equal(codeOf(ed.verify(signedWith(key, goodClaims({ iat: now + 0.5 })))), INVALID, 'fractional iat')
})

t.test('A.16 iss and aud: exact strings only', async (t) => {
  const key = testKey('HS256')
  const hs = service('HS256')
  for (const iss of ['https://evil.test', '', [ISSUER], `${ISSUER}/`, ISSUER.toUpperCase(), null]) {
    t.equal(codeOf(hs.verify(signedWith(key, goodClaims({ iss })))), INVALID, `iss ${JSON.stringify(iss)}`)
  }
  t.equal(codeOf(hs.verify(signedWith(key, without(goodClaims(), 'iss')))), INVALID, 'iss missing')
  for (const aud of ['other', '', ['other'], ['other', 'another'], [AUDIENCE], [AUDIENCE, 'other'], { aud: AUDIENCE }, `${AUDIENCE}x`]) {
    t.equal(codeOf(hs.verify(signedWith(key, goodClaims({ aud })))), INVALID, `aud ${JSON.stringify(aud)}`)
  }
  t.equal(codeOf(hs.verify(signedWith(key, without(goodClaims(), 'aud')))), INVALID, 'aud missing')
})

t.test('identifiers, jti and roles', async (t) => {
  const key = testKey('HS256')
  const hs = service('HS256')
  const cases: Array<[string, Record<string, unknown>]> = [
    ['sub empty', goodClaims({ sub: '' })], ['sub number', goodClaims({ sub: 1 })], ['sub missing', without(goodClaims(), 'sub')],
    ['sub with CRLF', goodClaims({ sub: 'u1\r\nx-user-id: admin' })], ['sid empty', goodClaims({ sid: '' })],
    ['sid missing', without(goodClaims(), 'sid')], ['sid object', goodClaims({ sid: {} })], ['jti missing', without(goodClaims(), 'jti')],
    ['jti number', goodClaims({ jti: 5 })], ['roles a string', goodClaims({ roles: 'admin' })], ['roles with a number', goodClaims({ roles: ['a', 1] })],
    ['role with a comma', goodClaims({ roles: ['a,admin'] })], ['role empty', goodClaims({ roles: [''] })],
    ['roles null', goodClaims({ roles: null })], ['1000 roles', goodClaims({ roles: Array.from({ length: 1000 }, (_, i) => `r${i}`) })]
  ]
  for (const [label, claims] of cases) t.equal(codeOf(hs.verify(signedWith(key, claims))), INVALID, label)
  const outcome = hs.verify(signedWith(key, without(goodClaims(), 'roles')))
  t.equal(codeOf(outcome), 'OK', 'roles missing')
  if (outcome.ok) t.same(outcome.claims.roles, [], 'missing roles read as []')
})

t.test('key rotation: old kid verifies, unknown kid 401 (503 only while the key set is incomplete), no keys 503', async (t) => {
  const old = generateKey('EdDSA')
  const current = generateKey('EdDSA')
  const before = createAccessTokenService(tokenOptions('EdDSA', { keys: [old] }))
  const oldToken = before.sign({ sub: 'u', sid: 's', roles: [] }).token
  const after = createAccessTokenService(tokenOptions('EdDSA', { keys: [current, { kid: old.kid, algorithm: 'EdDSA', publicKey: old.publicKey }] }))
  t.equal(codeOf(after.verify(oldToken)), 'OK', 'a token of the retired key still verifies')
  t.equal(codeOf(after.verify(after.sign({ sub: 'u', sid: 's', roles: [] }).token)), 'OK', 'new tokens verify')
  t.same(after.jwks().keys.map((jwk) => jwk.kid), [current.kid, old.kid], 'both keys published')
  const stranger = generateKey('EdDSA')
  t.equal(codeOf(after.verify(signedWith(stranger))), INVALID, 'unknown kid, complete key set: never ours or dropped, the client refreshes')
  const dropped = createAccessTokenService(tokenOptions('EdDSA', { keys: [current] }))
  t.equal(codeOf(dropped.verify(oldToken)), INVALID, 'a dropped key (e.g. compromised): 401, not an outage')
  let complete = false
  const incomplete = buildAccessTokenService(tokenOptions('EdDSA', { keys: [current] }), { keySetComplete: () => complete })
  t.equal(codeOf(incomplete.verify(oldToken)), 'AUTH_KEYS_UNAVAILABLE', 'unknown kid while the key set may lack a key that signs: 503')
  t.equal(codeOf(incomplete.verify(signedWith(stranger, goodClaims({ iat: nowSeconds() - TOLERANCE - 120, exp: nowSeconds() - TOLERANCE - 60 })))), 'AUTH_TOKEN_EXPIRED', '… unless its exp has passed')
  t.equal(codeOf(incomplete.verify(incomplete.sign({ sub: 'u', sid: 's', roles: [] }).token)), 'OK', 'known kids verify meanwhile')
  complete = true
  t.equal(codeOf(incomplete.verify(oldToken)), INVALID, 'complete again: 401')
  t.equal(codeOf(after.verify(signedWith({ ...stranger, kid: current.kid }))), INVALID, 'known kid, other key')
  const mixed = createAccessTokenService(tokenOptions('EdDSA', { keys: [current, testKey('HS256')] }))
  t.equal(codeOf(mixed.verify(signedWith(testKey('HS256')))), 'OK', 'rotation across algorithms: the HS256 key still verifies its tokens')
  const noKeys = createAccessTokenService(tokenOptions('EdDSA', { keys: [] }))
  t.equal(codeOf(noKeys.verify(oldToken)), 'AUTH_KEYS_UNAVAILABLE', 'no keys loaded: 503')
  t.equal(codeOf(noKeys.verify('garbage')), 'AUTH_KEYS_UNAVAILABLE', 'even for garbage: keys are the outage')
})

t.test('failures are not cached; successes stop at exp', async (t) => {
  const key = testKey('EdDSA')
  const tolerant = createAccessTokenService(tokenOptions('EdDSA', { clockTolerance: 5 }))
  // Valid from (nbf - 5) s: at least a second after the first check below, at most two.
  const nbf = nowSeconds() + 7
  const early = signedWith(key, goodClaims({ nbf }))
  t.equal(codeOf(tolerant.verify(early)), INVALID, 'not yet valid')
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, (nbf - 5) * 1000 + 20 - Date.now())))
  t.equal(codeOf(tolerant.verify(early)), 'OK', 'valid once nbf - tolerance has passed: the failure was not cached')

  const strict = createAccessTokenService(tokenOptions('EdDSA', { clockTolerance: 0 }))
  const exp = nowSeconds() + 2
  const shortLived = signedWith(key, goodClaims({ iat: exp - 10, exp }))
  t.equal(codeOf(strict.verify(shortLived)), 'OK', 'valid now (and cached)')
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 + 20 - Date.now())))
  t.equal(codeOf(strict.verify(shortLived)), EXPIRED, 'the cached success ends at exp')
  t.equal(AUDIENCE, 'upstream')
})
