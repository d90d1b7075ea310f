import t from 'tap'
import { createPublicKey, verify as cryptoVerify, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ACCESS_ALGORITHMS, createAccessTokenService, keyIdFor } from '../src/tokens/index.js'
import { generateKey, loadKeysDir, writeKeysDir } from '../src/keys/index.js'
import { ACCESS_TTL, AUDIENCE, ISSUER, service, testKey, tokenOptions } from './helpers/keys.js'

function decodePart (segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

for (const algorithm of ACCESS_ALGORITHMS) {
  t.test(`${algorithm}: sign → verify round trip`, async (t) => {
    const tokens = service(algorithm)
    const signed = tokens.sign({ sub: 'user-1', sid: 'session-1', roles: ['admin', 'user'] })
    const [header, payload] = signed.token.split('.')
    t.equal(Buffer.from(header ?? '', 'base64url').toString(), `{"alg":"${algorithm}","typ":"at+jwt","kid":"${testKey(algorithm).kid}"}`,
      'header is exactly {alg, typ, kid}, the form the verifier recognises without parsing')
    const claims = decodePart(payload)
    t.same(Object.keys(claims).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'roles', 'sid', 'sub'])
    t.equal(claims.exp, (claims.iat as number) + ACCESS_TTL)
    t.equal(signed.expiresIn, ACCESS_TTL)
    t.same(signed.claims, claims, 'returned claims are the signed ones')

    const outcome = tokens.verify(signed.token)
    t.ok(outcome.ok)
    if (outcome.ok) {
      t.same(outcome.claims, { sub: 'user-1', sid: 'session-1', roles: ['admin', 'user'], iat: claims.iat, exp: claims.exp, iss: ISSUER, aud: AUDIENCE, jti: claims.jti })
      t.ok(Object.isFrozen(outcome.claims), 'verified claims are frozen (shared between requests)')
    }
    const again = tokens.verify(signed.token)
    t.equal(again, outcome, 'a repeated token returns the memoised outcome')
    t.not(tokens.sign({ sub: 'user-1', sid: 'session-1', roles: [] }).claims.jti, claims.jti, 'jti is random')
  })
}

t.test('JWKS: public keys of asymmetric keys only, verifiable with node:crypto', async (t) => {
  const hs = testKey('HS256')
  const tokens = createAccessTokenService(tokenOptions('EdDSA', { keys: [testKey('EdDSA'), testKey('ES256'), testKey('RS256'), hs] }))
  const { keys } = tokens.jwks()
  t.same(keys.map((jwk) => [jwk.kid, jwk.alg, jwk.use, jwk.kty]), [
    ['test-eddsa', 'EdDSA', 'sig', 'OKP'], ['test-es256', 'ES256', 'sig', 'EC'], ['test-rs256', 'RS256', 'sig', 'RSA']
  ])
  const text = JSON.stringify(keys)
  t.notMatch(text, /"d"|"p"|"q"|"dp"|"k"/, 'no private or secret member')
  t.notOk(text.includes((hs.secret as Buffer).toString('base64url')), 'the HMAC secret is never published')

  for (const algorithm of ['ES256', 'RS256'] as const) {
    const signer = createAccessTokenService(tokenOptions(algorithm))
    const token = signer.sign({ sub: 'u', sid: 's', roles: [] }).token
    const jwk = keys.find((key) => key.alg === algorithm)
    const [h, p, s] = token.split('.') as [string, string, string]
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' })
    const ok = cryptoVerify(algorithm === 'ES256' ? 'sha256' : 'sha256', Buffer.from(`${h}.${p}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
    t.ok(ok, `${algorithm} token verifies with the published JWK`)
  }
  const edToken = service('EdDSA').sign({ sub: 'u', sid: 's', roles: [] }).token
  const [h, p, s] = edToken.split('.') as [string, string, string]
  const edJwk = createPublicKey({ key: keys[0] as never, format: 'jwk' })
  t.ok(cryptoVerify(null, Buffer.from(`${h}.${p}`), edJwk, Buffer.from(s, 'base64url')), 'EdDSA token verifies with the published JWK')
  t.same(createAccessTokenService(tokenOptions('HS256')).jwks(), { keys: [] }, 'an HMAC-only key set publishes nothing')
})

t.test('signAssertion: typ, iss, aud, copied identity, short exp, reused for the same claims', async (t) => {
  const tokens = service('EdDSA')
  const outcome = tokens.verify(tokens.sign({ sub: 'u1', sid: 's1', roles: ['a'] }).token)
  if (!outcome.ok) throw outcome.error
  const assertion = tokens.signAssertion(outcome.claims, '/api')
  const [header, payload] = assertion.split('.')
  t.same(decodePart(header), { alg: 'EdDSA', typ: 'authgate-assertion+jwt', kid: 'test-eddsa' })
  const claims = decodePart(payload)
  t.match(claims, { iss: ISSUER, aud: '/api', sub: 'u1', sid: 's1', roles: ['a'] })
  t.equal((claims.exp as number) - (claims.iat as number), 30)
  t.equal(tokens.signAssertion(outcome.claims, '/api'), assertion, 'reused while fresh')
  t.not(tokens.signAssertion(outcome.claims, '/admin'), assertion, 'one per audience')
  t.equal(tokens.verify(assertion).ok, false, 'an assertion is not an access token (typ)')
  if (!tokens.verify(assertion).ok) t.equal((tokens.verify(assertion) as { error: { code: string } }).error.code, 'AUTH_TOKEN_INVALID')
})

t.test('signAssertion: always exp > iat, never beyond the token\'s exp (tokens accepted within the clock tolerance)', async (t) => {
  const tokens = service('EdDSA')
  const now = Math.floor(Date.now() / 1000)
  for (const tokenExp of [now - 20, now - 1, now, now + 1, now + 10, now + 3600]) {
    const claims = Object.freeze({ sub: 'u1', sid: `s-${tokenExp}`, roles: [], iat: now - 900, exp: tokenExp, iss: ISSUER, aud: AUDIENCE, jti: 'j' })
    const payload = decodePart(tokens.signAssertion(claims, '/api').split('.')[1])
    const [iat, exp] = [payload.iat as number, payload.exp as number]
    t.ok(exp > iat, `token exp now${tokenExp - now >= 0 ? '+' : ''}${tokenExp - now}: assertion exp ${exp} > iat ${iat}`)
    t.ok(exp <= tokenExp, 'never outlives the token')
    t.ok(exp <= iat + 30, 'within its own ttl')
  }
})

t.test('sign: refuses bad input and ttl beyond maxTtl; honours ttlSeconds within it', async (t) => {
  const tokens = service('HS256', { maxTtl: 3600 })
  t.equal(tokens.sign({ sub: 'u', sid: 's', roles: [], ttlSeconds: 3600 }).expiresIn, 3600)
  t.ok(tokens.verify(tokens.sign({ sub: 'u', sid: 's', roles: [], ttlSeconds: 3600 }).token).ok, 'a maxTtl token verifies')
  t.throws(() => tokens.sign({ sub: 'u', sid: 's', roles: [], ttlSeconds: 3601 }), RangeError)
  t.throws(() => tokens.sign({ sub: '', sid: 's', roles: [] }), TypeError)
  t.throws(() => tokens.sign({ sub: 'u\r\nx-user-id: admin', sid: 's', roles: [] }), TypeError)
  t.throws(() => tokens.sign({ sub: 'u', sid: 's', roles: ['a,b'] }), TypeError)
  t.throws(() => tokens.sign({ sub: 'u', sid: 's', roles: [1] as unknown as string[] }), TypeError)
})

t.test('keys: generateKey, keyIdFor (RFC 7638 vector), writeKeysDir/loadKeysDir round trip', async (t) => {
  // RFC 7638 §3.1 example key and its thumbprint.
  const rfcKey = createPublicKey({
    key: {
      kty: 'RSA',
      e: 'AQAB',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw'
    },
    format: 'jwk'
  })
  t.equal(keyIdFor(rfcKey), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  const ed = generateKeyPairSync('ed25519')
  t.equal(keyIdFor(ed.privateKey), keyIdFor(ed.publicKey), 'private and public key give the same kid')
  t.throws(() => keyIdFor(testKey('HS256').secret as never))

  const dir = mkdtempSync(join(tmpdir(), 'authgate-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const old = generateKey('EdDSA')
  const current = generateKey('EdDSA')
  const hmac = generateKey('HS512')
  t.equal(old.kid, keyIdFor(old.publicKey as string), 'a generated key is named by its thumbprint')
  t.equal((hmac.secret as Buffer).length, 64)
  writeKeysDir(dir, [old, { kid: 'odd/kid', algorithm: 'ES256', publicKey: generateKey('ES256').publicKey }, hmac, current], current.kid)
  const loaded = loadKeysDir(dir)
  t.same(loaded.map((key) => key.kid), [current.kid, old.kid, 'odd/kid', hmac.kid], 'signing key first')
  t.same(loaded[0], current)
  t.same(loaded[3], hmac)
  const modeOf = (name: string): number => statSync(join(dir, name)).mode & 0o777
  t.equal(modeOf(`${current.kid}.private.pem`), 0o600)
  t.equal(modeOf(`${hmac.kid}.secret`), 0o600)
  t.equal(modeOf(`${current.kid}.public.pem`), 0o644)

  const tokens = createAccessTokenService(tokenOptions('EdDSA', { keys: loaded }))
  const signed = tokens.sign({ sub: 'u', sid: 's', roles: [] })
  t.equal(JSON.parse(Buffer.from(signed.token.split('.')[0] ?? '', 'base64url').toString()).kid, current.kid)
})

t.test('loadKeysDir refuses a bad manifest', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authgate-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  t.throws(() => loadKeysDir(dir), /cannot read the key manifest/, 'no manifest')
  const manifest = (value: unknown): void => { writeFileSync(join(dir, 'keys.json'), JSON.stringify(value)) }
  manifest({ keys: 'x' })
  t.throws(() => loadKeysDir(dir), /must be an object with a "keys" array/)
  manifest({ keys: [{ kid: 'k', alg: 'EdDSA', privateKey: '../../etc/passwd' }] })
  t.throws(() => loadKeysDir(dir), /must be a file name inside the keys directory/, 'path traversal')
  manifest({ keys: [{ kid: 'k', alg: 'EdDSA', privateKey: '/etc/passwd' }] })
  t.throws(() => loadKeysDir(dir), /must be a file name inside the keys directory/, 'absolute path')
  manifest({ keys: [{ kid: 'k', alg: 'none', publicKey: 'k.pem' }] })
  t.throws(() => loadKeysDir(dir), /alg must be one of/, 'alg none')
  manifest({ keys: [{ kid: 'k', alg: 'EdDSA', publicKey: 'missing.pem' }] })
  t.throws(() => loadKeysDir(dir), /cannot read/, 'missing file')
  const key = generateKey('EdDSA', 'k')
  writeFileSync(join(dir, 'k.pem'), key.publicKey as string)
  manifest({ signing: 'k', keys: [{ kid: 'k', alg: 'EdDSA', publicKey: 'k.pem' }] })
  t.throws(() => loadKeysDir(dir), /"signing" names a key without a private part/)
  manifest({ signing: 'other', keys: [{ kid: 'k', alg: 'EdDSA', publicKey: 'k.pem' }] })
  t.throws(() => loadKeysDir(dir), /"signing" names no listed key/)
  manifest({ keys: [{ kid: 'k', alg: 'EdDSA', publicKey: 'k.pem' }] })
  t.same(loadKeysDir(dir), [{ kid: 'k', algorithm: 'EdDSA', publicKey: key.publicKey }], 'a verification-only key set')
  writeFileSync(join(dir, 'h.secret'), 'not base64!\n')
  manifest({ keys: [{ kid: 'h', alg: 'HS256', secret: 'h.secret' }] })
  t.throws(() => loadKeysDir(dir), /must hold base64url text/)
})
